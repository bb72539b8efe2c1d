"""Settings of the grading engine, read from `TAKEHOME_*` environment variables and validated.

Settings are passed to what needs them, never imported as a global.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from sandbox.images import ImageSettings

__all__ = ["Settings", "UnsafeSettings", "check_secrets", "default_challenge_dirs"]


def default_challenge_dirs() -> list[Path]:
    """The repository's `challenges/` folder (next to the packages) and `./challenges`."""
    bundled = Path(__file__).resolve().parents[1] / "challenges"
    local = Path.cwd() / "challenges"
    return [p for p in dict.fromkeys((bundled, local)) if p.is_dir()]


class Settings(BaseSettings):
    """Engine settings. Every field can be set as `TAKEHOME_<FIELD>`.

    `TAKEHOME_CHALLENGE_DIRS` is a `:`-separated list of folders."""

    model_config = SettingsConfigDict(env_prefix="TAKEHOME_", extra="ignore")

    data_dir: Path = Field(default_factory=lambda: Path.home() / ".local" / "share" / "takehome")
    """The service's data: the SQLite database (when `database_url` is empty) and `blobs/`."""
    challenge_dirs: Annotated[list[Path], NoDecode] = Field(default_factory=default_challenge_dirs)
    """Folders holding challenge packs, `:`-separated (the CLI's `--challenges-dir` wins)."""
    base_image: str | None = None
    """A registry image to build on (e.g. python:3.12-slim) instead of the local Debian rootfs."""
    cache_dir: Path = (
        Path("/var/cache/takehome") if os.geteuid() == 0 else (Path.home() / ".cache" / "takehome")
    )
    """Image build cache: the debootstrap'ed base rootfs and the downloaded wheelhouses."""
    runtime: str | None = None
    """OCI runtime for sandbox containers (e.g. runsc where gVisor works); default: engine's."""
    concurrency: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=64)
    """Grading steps one run runs at once; with W workers on a deep queue, CPUs / W is better."""
    # The service (`takehome serve`): database, secrets, worker threads, listening address.
    database_url: str = ""
    """SQLAlchemy URL; empty: SQLite (WAL) at `<data_dir>/takehome.db`."""
    secret_key: str = ""
    """Signs session cookies; the service refuses to start without one unless `dev_mode`."""
    dev_mode: bool = False
    """Replace a missing or weak secret key by one made up at each start (development only)."""
    workers: int = Field(default=1, ge=0, le=64)
    """Grading worker threads inside `takehome serve` (0: enqueue only)."""
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    """Largest archive upload; the service answers 413 as soon as a body passes it."""
    max_report_bytes: int = Field(default=2 * 1024 * 1024, ge=64 * 1024)
    """Largest stored report (its JSON): past it fewer findings are listed, and a
    `report_truncated` verdict says so (docs/grading.md)."""
    host: str = "127.0.0.1"
    """Address `takehome serve` listens on."""
    port: int = Field(default=8000, ge=1, le=65535)
    """Port `takehome serve` listens on."""
    public_url: str = ""
    """Base URL printed in invite links; empty: `http://<host>:<port>`."""
    max_attempts: int = Field(default=3, ge=1, le=20)
    """Grading attempts per run before an infrastructure fault marks it failed."""
    lease_seconds: float = Field(default=900.0, gt=0)
    """How long a worker owns a run without news before another worker may take it."""
    # Git intake (issue 5): where and how much the service clones; webhooks.
    git_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["github.com", "gitlab.com", "bitbucket.org"]
    )
    """Hosts Git URLs may name (comma-separated); every address they resolve to must be public."""
    git_allow_loopback: bool = False
    """Allow hosts resolving to 127.0.0.0/8 or ::1 (tests, a private mirror on this machine)."""
    git_allow_http: bool = False
    """Allow plain http:// Git URLs (default: https only)."""
    git_max_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    """Bytes git may write while fetching one commit; the fetch is killed past it."""
    git_timeout_seconds: float = Field(default=60.0, gt=0, le=3600)
    """Wall-clock limit of one fetch; the git process group is killed past it."""
    git_history_commits: int = Field(default=200, ge=0, le=1000)
    """Newest commits of a Git submission recorded for the reviewer's timeline (fetched within
    `git_max_bytes` and `git_timeout_seconds`; 0: no history). docs/git-intake.md, History."""
    git_history_bulk_lines: int = Field(default=200, ge=1)
    """The "most of the work in one commit" signal needs at least this many lines changed (added
    plus removed) in the history's counted commits, one of which holds 80 % or more of them."""
    webhook_max_bytes: int = Field(default=1024 * 1024, gt=0)
    """Largest webhook body accepted (413 above it), read before anything is parsed."""
    # Scale-out (issue 6): the queue backend, back-pressure and logs.
    queue: Literal["embedded", "celery"] = "embedded"
    """`embedded`: worker threads in `takehome serve`; `celery`: `takehome worker` processes
    take runs through a Redis broker and `takehome serve` only enqueues."""
    broker_url: str = "redis://127.0.0.1:6379/0"
    """The Celery broker (Redis) when `queue` is `celery`."""
    broker_visibility_timeout: float = Field(default=4 * 3600.0, gt=0)
    """Seconds before Redis hands an unacknowledged message to another worker; keep it longer
    than the longest run (the database lease, renewed while grading, recovers a dead worker's run
    long before)."""
    dispatch_seconds: float = Field(default=1.0, gt=0)
    """How often `takehome serve` (celery queue) publishes claimable runs it has not published."""
    republish_seconds: float = Field(default=600.0, gt=0)
    """A run still queued this long after its message was published is published again (covers
    a broker that lost its messages; duplicates are harmless, the database claim decides)."""
    queue_limit: int = Field(default=0, ge=0)
    """Runs waiting or grading, overall, past which intake answers 503 (0: no limit)."""
    queue_limit_per_challenge: int = Field(default=0, ge=0)
    """Runs waiting or grading for one challenge, past which intake answers 429 (0: no limit)."""
    retry_after_seconds: int = Field(default=60, ge=1)
    """The `Retry-After` header of a 429/503 from a full queue."""
    log_format: Literal["text", "json"] = "text"
    """`json`: one JSON object a line, with run and submission ids when a line concerns a run."""
    metrics_port: int = Field(default=0, ge=0, le=65535)
    """`takehome worker`: serve Prometheus metrics on this port (0: none)."""
    smtp_url: str = Field(default="", repr=False)
    """E-mail to candidates and reviewers (`runner.mail`), e.g.
    `smtp+starttls://user:password@mail.example.com:587/?from=hiring@example.com` (also `smtp://`
    in the clear, `smtps://` over TLS). Empty (the default): no e-mail is ever sent or queued."""
    mail_seconds: float = Field(default=5.0, gt=0)
    """How often the service looks for e-mail to write and sends what is due (with SMTP)."""
    # Hardening (issue 15): bindings per invite, the API docs page.
    max_bindings_per_invite: int = Field(default=5, ge=1, le=100)
    """Repository bindings one invite may have (409 limit_reached past it); the invite's pushes
    are capped together, whatever the number of bindings (see docs/git-intake.md)."""
    docs_enabled: bool = True
    """Serve the interactive API docs at `/docs` (Swagger UI from the `fastapi-offline` package,
    self-hosted under a `'self'`-only CSP) and `/openapi.json`; false: neither is served."""
    # Request limits (issue 15): bodies, rates, clones and connections (see docs/security.md).
    form_max_bytes: int = Field(default=16 * 1024, gt=0)
    """Largest body of a form route (login, logout, invites, bindings, every CSRF-checked form);
    413 as soon as a body passes it, before anything is parsed."""
    json_max_bytes: int = Field(default=64 * 1024, gt=0)
    """Largest body of a JSON API route (`/api/...` other than `POST /api/submissions`)."""
    max_form_fields: int = Field(default=20, ge=1)
    """Fields a form may hold; a file part where text fields are expected is refused (400)."""
    body_timeout_seconds: float = Field(default=30.0, gt=0)
    """Longest wait for the next chunk of a request body: a client that stalls gets 408."""
    submit_burst_per_invite: int = Field(default=10, ge=1)
    """Submission attempts one invite may make at once (token bucket size); then 429."""
    submit_per_minute_per_invite: float = Field(default=6.0, gt=0)
    """Attempts an invite gets back per minute once its burst is spent."""
    submit_burst_per_address: int = Field(default=30, ge=1)
    """Submission attempts one client address may make at once (all invites together)."""
    submit_per_minute_per_address: float = Field(default=30.0, gt=0)
    """Attempts a client address gets back per minute once its burst is spent."""
    clone_slots: int = Field(default=4, ge=1, le=256)
    """Git fetches one service process runs at once; one more is refused (503, Retry-After)."""
    clones_per_invite: int = Field(default=1, ge=1)
    """Git fetches in flight at once for one invite, and for one repository binding (429)."""
    header_timeout_seconds: float = Field(default=10.0, gt=0)
    """`takehome serve`: a connection whose request headers are not complete this long after
    it opened (or after its last response) is closed."""
    keep_alive_seconds: int = Field(default=5, ge=1)
    """`takehome serve`: an idle keep-alive connection is closed after this many seconds."""
    max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    """`takehome serve`: largest request line plus headers (h11's incomplete event size); 400."""
    limit_concurrency: int = Field(default=256, ge=1)
    """`takehome serve`: open connections plus running requests past which a new request is
    answered 503 at once (uvicorn's `limit_concurrency`)."""
    backlog: int = Field(default=128, ge=1)
    """`takehome serve`: connections the kernel queues before the service accepts them."""
    # Authentication (issue 15): login throttling, password hashing threads, token lifetime.
    login_free_failures: int = Field(default=5, ge=1, le=1000)
    """Wrong passwords for one account before its logins are throttled (429 + Retry-After)."""
    login_free_failures_per_address: int = Field(default=20, ge=1, le=100000)
    """Wrong passwords from one client address (any account) before its logins are throttled."""
    login_lockout_seconds: float = Field(default=2.0, gt=0, le=3600)
    """The first lockout; each further failure past the free ones doubles it."""
    login_lockout_max_seconds: float = Field(default=900.0, gt=0, le=86400)
    """The longest lockout: a lockout always ends, and a success resets the account's count."""
    login_hash_threads: int = Field(default=2, ge=1, le=64)
    """Threads that check passwords (argon2id) at once; more logins wait for one, off the event
    loop and outside the thread pool the other routes use."""
    api_token_days: float = Field(default=90.0, gt=0, le=3650)
    """Lifetime of an API token made by `takehome tokens create` without `--expires-days`."""
    # Similarity across submissions (issue 18): signals for reviewers, never part of a score.
    similarity: bool = True
    """Fingerprint every graded submission and compare it with the others of its challenge and
    with the challenge's reference and variants (docs/similarity.md)."""
    similarity_threshold: float = Field(default=0.5, gt=0, le=1)
    """The lowest similarity stored and shown as a pair: shared fingerprints over the smaller
    side's (0.5: half of the smaller submission's code, starter excluded, is also in the other)."""

    # Outbound events (issue 16): signed deliveries to reviewers' endpoints (docs/events.md).
    events_allow_http: bool = False
    """Allow plain http:// event endpoints (default: https only; tests, a receiver on this
    machine). Loopback addresses are allowed only with `git_allow_loopback`, as for Git."""
    events_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    """One delivery attempt's limit to connect, and to each read of the answer (a whole attempt
    is cut off after three times it); past it the attempt is recorded as failed and retried."""
    events_max_attempts: int = Field(default=8, ge=1, le=50)
    """Attempts of one delivery (the first included) before it is marked failed."""
    events_backoff_seconds: float = Field(default=10.0, ge=0)
    """The wait before the first retry; each further retry waits `events_backoff_factor` times
    longer (10 s, 1 min, 6 min, 36 min, ...), give or take 20 % of jitter."""
    events_backoff_factor: float = Field(default=6.0, ge=1)
    """How much longer each retry waits than the one before."""
    events_backoff_max_seconds: float = Field(default=6 * 3600.0, ge=0)
    """The longest wait between two attempts."""
    events_poll_seconds: float = Field(default=2.0, gt=0)
    """How often the dispatcher (a thread of `takehome serve`) looks for due deliveries."""
    events_lease_seconds: float = Field(default=60.0, gt=0)
    """How long a dispatcher owns a delivery it is sending; a dispatcher that died meanwhile
    leaves it to another one after this (keep it above `events_timeout_seconds`)."""
    events_senders: int = Field(default=4, ge=1, le=64)
    """Deliveries sent at once: a hanging endpoint holds one sender, never the others."""

    @field_validator("challenge_dirs", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if isinstance(value, str):
            return [p for p in value.split(os.pathsep) if p]
        return value

    @field_validator("git_allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list):
            return [str(h).strip().lower().strip("[]") for h in value if str(h).strip()]
        return value

    def images(self) -> ImageSettings:
        """The image-building part of the settings."""
        return ImageSettings(base_image=self.base_image, cache_dir=self.cache_dir)


_DEFAULT_SECRETS = frozenset({"", "changethis", "changeme", "secret"})


class UnsafeSettings(ValueError):
    """The settings would run the service insecurely (e.g. without a secret key)."""


def check_secrets(settings: Settings) -> Settings:
    """Refuse a default or short secret key unless `dev_mode`; in dev mode, make one up.

    (As full-stack-fastapi-template's `_enforce_non_default_secrets`.)"""
    if settings.secret_key not in _DEFAULT_SECRETS and len(settings.secret_key) >= 16:
        return settings
    if not settings.dev_mode:
        raise UnsafeSettings(
            "TAKEHOME_SECRET_KEY is empty, a default, or shorter than 16 characters: set one"
            " (python -c 'import secrets; print(secrets.token_urlsafe(32))'),"
            " or TAKEHOME_DEV_MODE=1 for a throw-away key"
        )
    return settings.model_copy(update={"secret_key": secrets.token_urlsafe(32)})
