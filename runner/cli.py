"""The `takehome` command line.

Exit codes: 0 done; 1 a check failed (validate, doctor, a grader's self-check, a score under
`submit --min-score`); 2 usage error; 3 bad input (archive, manifest, unknown challenge); 4
infrastructure failure (Docker engine, images, the service unreachable).

Commands raise; the group (`_Cli`) maps what they raise to an exit code through one table,
`EXIT_CODES` (the first class of the exception's MRO found there), and prints one line
`error: <message>`. An exception not in the table is a bug and shows its traceback. Commands get
what they need (database, challenges, the self-checked pipeline) from `runner.wiring.Wiring`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

import click
import uvicorn
from rich.console import Console
from rich.markup import escape

from graders import MAX_REPEAT, discover_test_ids
from graders.model import Report
from runner.celery_app import run_worker
from runner.challenge import ChallengeError, ChallengeRegistry, write_tree
from runner.client import ApiClient, ClientError, InviteClient, parse_invite
from runner.doctor import run_doctor
from runner.engine import open_engine
from runner.events import EventError
from runner.events_cli import RedeliveryFailed, events
from runner.gradescope import report_gradescope
from runner.intake import IntakeError, IntakeLimits, snapshot_path
from runner.invites import InviteSpec, open_invite
from runner.junit import report_junit
from runner.logs import configure_logging
from runner.pipeline import Pipeline
from runner.render import print_report, render_html
from runner.sarif import report_sarif
from runner.scaffold import MODES, Mode, new_challenge
from runner.settings import Settings, UnsafeSettings
from runner.store.models import ApiToken, utcnow
from runner.store.records import (
    AlreadyExists,
    NotFound,
    create_api_token,
    create_reviewer,
    disable_reviewer,
    enable_reviewer,
    list_api_tokens,
    revoke_api_token,
    set_password,
)
from runner.validate import Outcome, default_jobs, validate_challenge
from runner.validate_table import print_outcomes
from runner.wiring import GraderChecksFailed, Wiring, docker_pipeline
from sandbox import SandboxError, SandboxMisconfigured
from sandbox.docker import connect
from sandbox.reaper import reap as reap_leftovers

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CHECK_FAILED",
    "EXIT_CODES",
    "EXIT_INFRA",
    "EXIT_USAGE",
    "BelowThreshold",
    "CheckFailed",
    "UsageProblem",
    "exit_code",
    "main",
]

EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_BAD_INPUT = 3
EXIT_INFRA = 4

_console = Console()
_errors = Console(stderr=True)
_VERSION = version("takehome")


class CheckFailed(Exception):
    """A check a command ran did not pass (broken expectations, a run that did not finish)."""


class UsageProblem(Exception):
    """The command cannot work as called (a setting or an argument it needs is wrong)."""


class BelowThreshold(Exception):
    """A graded submission scored under the `--min-score` it was submitted with (a CI gate)."""


def _client_exit(exc: Exception) -> int:
    """The service refused the request (4xx: bad input) or could not be reached (infra)."""
    status = exc.status if isinstance(exc, ClientError) else 0
    return EXIT_BAD_INPUT if 400 <= status < 500 else EXIT_INFRA


#: What each exception a command raises exits with: a code, or a function of the exception.
EXIT_CODES: Mapping[type[Exception], int | Callable[[Exception], int]] = {
    CheckFailed: EXIT_CHECK_FAILED,
    BelowThreshold: EXIT_CHECK_FAILED,
    GraderChecksFailed: EXIT_CHECK_FAILED,
    UsageProblem: EXIT_USAGE,
    UnsafeSettings: EXIT_USAGE,
    IntakeError: EXIT_BAD_INPUT,
    ChallengeError: EXIT_BAD_INPUT,
    AlreadyExists: EXIT_BAD_INPUT,
    NotFound: EXIT_BAD_INPUT,
    LookupError: EXIT_BAD_INPUT,
    ClientError: _client_exit,
    SandboxMisconfigured: EXIT_USAGE,  # a setting to change, not a passing fault
    SandboxError: EXIT_INFRA,
    EventError: EXIT_BAD_INPUT,
    RedeliveryFailed: EXIT_CHECK_FAILED,
}


def exit_code(exc: Exception) -> int | None:
    """The exit code `EXIT_CODES` gives `exc` (by the first class of its MRO found there), or
    None when it is not a known failure."""
    for kind in type(exc).__mro__:
        code = EXIT_CODES.get(kind)
        if code is not None:
            return code if isinstance(code, int) else code(exc)
    return None


class _Cli(click.Group):
    """The `takehome` group: a known exception from any command becomes one `error:` line and
    its exit code (`EXIT_CODES`)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            code = exit_code(exc)
            if code is None:
                raise
            message = " ".join(str(exc).splitlines()) or type(exc).__name__
            _errors.print(f"[red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
            ctx.exit(code)


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


def _wiring(ctx: click.Context) -> Wiring:
    """What the command needs, each part made on first use; image builds log to stderr."""
    return Wiring(_settings(ctx), partial(docker_pipeline, log=_log_dim))


def _log_dim(message: str) -> None:
    _errors.print(f"[dim]{escape(message)}[/]")


def _checked_pipeline(wiring: Wiring) -> Pipeline:
    with _errors.status("checking the graders"):
        return wiring.pipeline()


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--challenges-dir",
    "challenge_dirs",
    multiple=True,
    type=click.Path(file_okay=False),
    help="Folder of challenge packs (repeatable); default: TAKEHOME_CHALLENGE_DIRS.",
)
@click.pass_context
def cli(ctx: click.Context, challenge_dirs: tuple[str, ...]) -> None:
    """takehome: grade take-home submissions in isolated containers."""
    settings = Settings()
    if challenge_dirs:
        settings = settings.model_copy(
            update={"challenge_dirs": [Path(d) for d in challenge_dirs]}
        )
    ctx.obj = settings


@dataclass(frozen=True)
class _Outputs:
    """Where `takehome grade` and `submit` write the report (None: not asked for), and the
    score they gate on; `json` may be `-` (stdout)."""

    json: Path | None = None
    html: Path | None = None
    junit: Path | None = None
    sarif: Path | None = None
    min_score: float | None = None

    def asked(self) -> list[str]:
        """The options given that need the report (so not `--no-wait`)."""
        names = ("json", "html", "junit", "sarif", "min_score")
        return [f"--{n.replace('_', '-')}" for n in names if getattr(self, n) is not None]

    @property
    def human(self) -> Console:
        """Where the human output goes: stderr when stdout carries the JSON (`--json -`)."""
        return _errors if self.json == _STDOUT else _console


_STDOUT = Path("-")


def _write(path: Path, data: str | bytes) -> None:
    if path == _STDOUT:
        click.echo(data if isinstance(data, str) else data.decode())
    elif isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)


def _check_score(score: float, outputs: _Outputs) -> None:
    """Raise `BelowThreshold` when `score` is under `--min-score` (after every file is written,
    so a failing gate still has its artifacts)."""
    if outputs.min_score is not None and score < outputs.min_score:
        raise BelowThreshold(
            f"score {score:.1f} is below the threshold {outputs.min_score:g} (--min-score)"
        )


def _path_option(name: str, text: str, *, dash: bool = False) -> Callable[..., Any]:
    kind = click.Path(dir_okay=False, path_type=Path, allow_dash=dash)
    return click.option(f"--{name}", f"{name}_out", type=kind, help=text)


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--challenge", "challenge_id", required=True, help="Challenge id.")
@click.option(
    "--min-score",
    type=click.FloatRange(0, 100),
    help="Exit 1 when the overall score is below this (a CI gate).",
)
@_path_option("json", "Write the report JSON here; '-': alone on stdout.", dash=True)
@_path_option("html", "Write an HTML report here.")
@_path_option("junit", "Write the hidden tests as JUnit XML here.")
@_path_option("sarif", "Write the findings as SARIF 2.1.0 here.")
@_path_option(
    "gradescope", "Write Gradescope's results.json here (visibility from the feedback policy)."
)
@click.option(
    "--repeat",
    type=int,
    default=1,
    show_default=True,
    help=f"Run the hidden tests this many times (1-{MAX_REPEAT}), each in a fresh container;"
    " a test whose outcome differs is reported flaky and scored by its worst run.",
)
@click.pass_context
def grade(
    ctx: click.Context,
    path: Path,
    *,
    challenge_id: str,
    min_score: float | None,
    json_out: Path | None,
    html_out: Path | None,
    junit_out: Path | None,
    sarif_out: Path | None,
    gradescope_out: Path | None,
    repeat: int,
) -> None:
    """Grade a directory or archive (tar, tar.gz, zip) against a challenge."""
    if not 1 <= repeat <= MAX_REPEAT:
        raise UsageProblem(f"--repeat must be 1 to {MAX_REPEAT}, got {repeat}")
    outputs = _Outputs(json_out, html_out, junit_out, sarif_out, min_score)
    wiring = _wiring(ctx)
    challenge = wiring.challenges.get(challenge_id)
    snapshot = snapshot_path(path, IntakeLimits())
    pipeline = _checked_pipeline(wiring)
    with _errors.status(f"grading {path.name} against {challenge_id}") as status:
        report = pipeline.grade(
            challenge,
            snapshot,
            progress=lambda step, state: status.update(f"{state}: {step}"),
            repeat=repeat,
        )
    print_report(outputs.human, report, title=f"{path.name}: {report.score:.1f} / 100")
    _save_local(report, outputs, name=path.name)
    if gradescope_out:
        results = report_gradescope(report, challenge.manifest.feedback.policy)
        gradescope_out.write_text(json.dumps(results, indent=2))
    _check_score(report.score, outputs)


def _save_local(report: Report, outputs: _Outputs, *, name: str) -> None:
    """Write the files asked for, rendered here (`takehome grade` has no service to ask)."""
    if outputs.json:
        _write(outputs.json, report.to_json())
    if outputs.html:
        _write(outputs.html, render_html(report))
    if outputs.junit:
        _write(outputs.junit, report_junit(report, name=name))
    if outputs.sarif:
        _write(outputs.sarif, json.dumps(report_sarif(report, version=_VERSION), indent=2))


@cli.group()
def challenges() -> None:
    """List, show, validate and write challenge packs."""


@challenges.command("list")
@click.pass_context
def challenges_list(ctx: click.Context) -> None:
    """List the challenges found in the challenge folders."""
    for cid, challenge in _wiring(ctx).challenges.as_dict().items():
        m = challenge.manifest
        _console.print(f"{cid}\t{m.version}\t{m.mode}\t{m.title}", highlight=False)


@challenges.command("show")
@click.argument("challenge_id")
@click.pass_context
def challenges_show(ctx: click.Context, challenge_id: str) -> None:
    """Show a challenge's manifest and the ids of its hidden tests."""
    challenge = _wiring(ctx).challenges.get(challenge_id)
    _console.print_json(challenge.manifest.model_dump_json(by_alias=True))
    _console.print(f"version hash: {challenge.version_hash}")
    expected = challenge.manifest.tests.expected or discover_test_ids(challenge.hidden_tests())
    _console.print(f"hidden tests ({len(expected)}):")
    for test_id in expected:
        _console.print(f"  {test_id}", highlight=False)


@challenges.command("validate")
@click.argument("challenge_id", required=False)
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    help="Gradings at once after the reference (default: CPUs / the pack's [limits] cpus,"
    " at most TAKEHOME_CONCURRENCY).",
)
@click.pass_context
def challenges_validate(ctx: click.Context, challenge_id: str | None, jobs: int | None) -> None:
    """Grade reference, starter and variants; fail when a challenge does not separate them."""
    wiring = _wiring(ctx)
    found = wiring.challenges
    selected = [found.get(challenge_id)] if challenge_id else list(found)
    pipeline = _checked_pipeline(wiring)
    failed = 0
    for challenge in selected:
        _console.rule(challenge.manifest.id)
        pool = jobs or default_jobs(challenge, wiring.settings.concurrency)
        outcomes = validate_challenge(challenge, pipeline, on_graded=_print_outcome, jobs=pool)
        print_outcomes(_console, outcomes)
        failed += sum(not o.ok for o in outcomes)
    if failed:
        raise CheckFailed(f"{failed} expectation(s) broken")
    _console.print("[green]all expectations hold[/]")


def _known_ids(roots: list[Path]) -> set[str]:
    """The ids of the challenges under `roots` (each folder read once; missing ones skipped)."""
    found = dict.fromkeys(root.resolve() for root in roots if root.is_dir())
    return {cid for root in found for cid in ChallengeRegistry.from_roots(root).as_dict()}


def _print_outcome(outcome: Outcome) -> None:
    mark = "[green]PASS[/]" if outcome.ok else "[red]FAIL[/]"
    _console.print(
        f"{mark} {escape(outcome.name)}  {outcome.report.score:5.1f}  ({outcome.seconds:.1f} s)",
        highlight=False,
    )


@challenges.command("variant")
@click.argument("challenge_id")
@click.argument("name")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the variant's full tree into (new or empty).",
)
@click.pass_context
def challenges_variant(ctx: click.Context, challenge_id: str, name: str, out: Path) -> None:
    """Write a variant's full tree (the reference with the overlay applied), for debugging."""
    variant = _wiring(ctx).challenges.get(challenge_id).variant(name)
    if out.exists() and any(out.iterdir()):
        raise UsageProblem(f"{out}: not empty; name a new or empty folder")
    snapshot = variant.snapshot()
    write_tree(snapshot, out)
    stat = variant.diffstat()
    _console.print(
        f"{escape(str(out))}: {len(snapshot.files)} files ({stat} against the reference)",
        highlight=False,
        soft_wrap=True,
    )


@challenges.command("new")
@click.argument("challenge_id")
@click.option(
    "--mode", type=click.Choice(MODES), required=True, help="How the tests reach the code."
)
@click.option(
    "--isolated",
    is_flag=True,
    help="Unit mode: run the hidden tests in a trusted container (default: in-process).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the pack into (default: the first challenge folder).",
)
@click.pass_context
def challenges_new(
    ctx: click.Context, challenge_id: str, mode: str, isolated: bool, out: Path | None
) -> None:
    """Write a small, valid challenge pack to start from (docs/write-your-own-challenge.md)."""
    if isolated and mode != "unit":
        raise UsageProblem(
            "--isolated applies to --mode unit (service probes are always isolated)"
        )
    settings = _settings(ctx)
    root = out or next(iter(settings.challenge_dirs), None)
    if root is None:
        raise UsageProblem("no challenge folder: pass --out DIR or --challenges-dir DIR")
    kind: Mode = "service" if mode == "service" else "unit"
    taken = _known_ids([*settings.challenge_dirs, root])
    challenge = new_challenge(challenge_id, kind, root, isolated=isolated, taken=taken)
    where = escape(str(challenge.root))
    _console.print(f"wrote {where} ({mode}{', isolated' if isolated else ''})", highlight=False)
    _console.print(
        f"next: takehome --challenges-dir {escape(str(root))} challenges validate {challenge.id}",
        highlight=False,
        soft_wrap=True,
    )


@cli.group()
def images() -> None:
    """Build the sandbox images."""


@images.command("build")
@click.option("--challenge", "challenge_ids", multiple=True, help="Only these challenges' images.")
@click.pass_context
def images_build(ctx: click.Context, challenge_ids: tuple[str, ...]) -> None:
    """Build base, tools and challenge images (only what changed)."""
    wiring = _wiring(ctx)
    found = wiring.challenges
    images = open_engine(wiring.settings, log=_log_dim).images  # images only: nothing to check
    _console.print(f"base   {images.ensure_base()}")
    _console.print(f"tools  {images.ensure_tools()}")
    for cid in challenge_ids or [c.id for c in found]:
        manifest = found.get(cid).manifest
        try:
            tag = images.ensure_challenge(
                cid, manifest.dependencies.allowed, manifest.image.debian
            )
        except SandboxMisconfigured as exc:
            if challenge_ids:  # asked for by name: fail, naming the setting
                raise
            # e.g. Debian packages with a registry base: say so, build the others.
            _console.print(f"{cid:<6} skipped: {exc}")
            continue
        _console.print(f"{cid:<6} {tag}")


@cli.command()
@click.pass_context
def doctor(ctx: click.Context) -> None:
    """Check the engine, the images and every grader's self-test; say what to do when not."""

    if not run_doctor(_settings(ctx), _console):
        raise CheckFailed("this machine is not ready to grade: see the ✗ lines above")


@cli.command()
@click.option("--run", "run_id", help="Only this run's leftovers.")
@click.option("--older-than", type=float, help="Only leftovers older than this many seconds.")
def reap(run_id: str | None, older_than: float | None) -> None:
    """Remove sandbox containers, volumes and networks left behind by crashed runs."""
    reaped = reap_leftovers(connect(), run_id=run_id, older_than=older_than)
    _console.print(
        f"removed {len(reaped.containers)} containers, {len(reaped.volumes)} volumes,"
        f" {len(reaped.networks)} networks"
    )


@cli.command()
@click.option("--host", help="Listen address (default: TAKEHOME_HOST, 127.0.0.1).")
@click.option("--port", type=int, help="Listen port (default: TAKEHOME_PORT, 8000).")
@click.option("--workers", type=int, help="Grading worker threads (default: TAKEHOME_WORKERS).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int | None) -> None:
    """Run the web service (uvicorn) with grading worker threads in the same process."""
    # The console script is the top of the stack: it alone may reach up into `api` (imported
    # here, not at the top, so that the other commands do not load the web stack).
    from api.app import create_app  # noqa: PLC0415
    from api.serving import server_config  # noqa: PLC0415

    chosen = {"host": host, "port": port, "workers": workers}
    settings = _settings(ctx).model_copy(update={k: v for k, v in chosen.items() if v is not None})
    configure_logging(settings.log_format)
    app = create_app(settings)  # raises UnsafeSettings before anything is opened
    # Header, body and keep-alive timeouts and a connection limit: see api.serving.
    uvicorn.Server(server_config(app, settings)).run()


@cli.command()
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=lambda: os.cpu_count() or 1,
    help="Runs graded at once (threads; default: the number of cores).",
)
@click.option("--hostname", help="Celery node name (default: celery@<host>).")
@click.pass_context
def worker(ctx: click.Context, concurrency: int, hostname: str | None) -> None:
    """Run a Celery grading worker (TAKEHOME_QUEUE=celery, TAKEHOME_BROKER_URL); needs Docker."""
    settings = _settings(ctx)
    if settings.queue != "celery":
        raise UsageProblem(
            "`takehome worker` needs TAKEHOME_QUEUE=celery (and TAKEHOME_BROKER_URL)"
        )
    run_worker(settings, concurrency, hostname)


@cli.group()
def users() -> None:
    """Manage reviewer accounts."""


@users.command("create")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def users_create(ctx: click.Context, email: str, password_stdin: bool) -> None:
    """Create a reviewer account (the password is prompted for, or read from stdin)."""
    password = _read_password(password_stdin)
    create_reviewer(_wiring(ctx).db, email, password)
    _console.print(f"created reviewer {email}", highlight=False)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise UsageProblem("the password must be at least 8 characters long")
    return password


@users.command("password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def users_password(ctx: click.Context, email: str, password_stdin: bool) -> None:
    """Set a reviewer's password; their sessions end (log in again)."""
    password = _read_password(password_stdin)
    set_password(_wiring(ctx).db, email, password)
    _console.print(f"changed the password of {email}; their sessions have ended", highlight=False)


@users.command("enable")
@click.argument("email")
@click.pass_context
def users_enable(ctx: click.Context, email: str) -> None:
    """Enable a disabled reviewer again (they log in anew; their API tokens work again)."""
    enable_reviewer(_wiring(ctx).db, email)
    _console.print(f"enabled reviewer {email}", highlight=False)


@users.command("disable")
@click.argument("email")
@click.pass_context
def users_disable(ctx: click.Context, email: str) -> None:
    """Disable a reviewer: no login; their sessions and API tokens stop working at once."""
    disable_reviewer(_wiring(ctx).db, email)
    _console.print(f"disabled reviewer {email}", highlight=False)


@cli.group()
def invites() -> None:
    """Manage candidate invites."""


@invites.command("create")
@click.option("--challenge", "challenge_id", required=True, help="Challenge id.")
@click.option("--candidate", default="candidate", help="Who the invite is for (name or email).")
@click.option("--expires-days", type=click.FloatRange(min=0, min_open=True), default=7.0)
@click.option("--max-submissions", type=click.IntRange(min=1), default=3)
@click.option(
    "--time-limit-hours",
    type=click.FloatRange(min=0, min_open=True, max=24 * 365),
    help="Put the invite on a clock the candidate starts (default: untimed).",
)
@click.option("--strict", is_flag=True, help="Refuse submissions after the deadline.")
@click.option("--email", help="The candidate's e-mail address (the link is mailed with SMTP).")
@click.option(
    "--blind/--no-blind",
    default=None,
    help="Reviewers see a pseudonym until a decision (default: the challenge's [review] blind).",
)
@click.pass_context
def invites_create(
    ctx: click.Context,
    *,
    challenge_id: str,
    candidate: str,
    expires_days: float,
    max_submissions: int,
    time_limit_hours: float | None,
    strict: bool,
    email: str | None,
    blind: bool | None,
) -> None:
    """Create an invite and print the candidate's link (shown once)."""
    wiring = _wiring(ctx)
    challenge = wiring.challenges.get(challenge_id)
    spec = InviteSpec(
        candidate=candidate,
        expires_days=expires_days,
        max_submissions=max_submissions,
        time_limit_hours=time_limit_hours,
        strict=strict,
        email=email,
        blind=blind,
    )
    _invite, token = open_invite(wiring.db, wiring.blobs, challenge, spec)
    settings = wiring.settings
    base = settings.public_url.rstrip("/") or f"http://{settings.host}:{settings.port}"
    click.echo(f"{base}/i/{token}")


@cli.group()
def tokens() -> None:
    """Manage reviewers' API tokens."""


@tokens.command("create")
@click.argument("email")
@click.option(
    "--expires-days",
    type=click.FloatRange(min=0, min_open=True, max=3650),
    help="Lifetime in days (default: TAKEHOME_API_TOKEN_DAYS, 90).",
)
@click.pass_context
def tokens_create(ctx: click.Context, email: str, expires_days: float | None) -> None:
    """Create an API token for a reviewer and print it (shown once)."""
    wiring = _wiring(ctx)
    days = expires_days if expires_days is not None else wiring.settings.api_token_days
    click.echo(create_api_token(wiring.db, email, expires_days=days))


@tokens.command("list")
@click.pass_context
def tokens_list(ctx: click.Context) -> None:
    """List the API tokens (id prefix, reviewer, dates, state); never the secrets."""
    with _wiring(ctx).db.reading() as session:
        rows = [_token_line(token) for token in list_api_tokens(session)]
    click.echo("id\treviewer\tcreated\tlast used\texpires\tstate")
    for row in rows:
        click.echo(row)


def _token_line(token: ApiToken) -> str:
    def day(value: object) -> str:
        return f"{value:%Y-%m-%d %H:%M}" if value is not None else "-"

    if token.revoked_at is not None:
        state = "revoked"
    elif token.expires_at is not None and token.expires_at <= utcnow():
        state = "expired"
    else:
        state = "active"
    dates = (token.created_at, token.last_used_at, token.expires_at)
    return "\t".join([token.id[:8], token.reviewer.email, *map(day, dates), state])


@tokens.command("revoke")
@click.argument("token_id")
@click.pass_context
def tokens_revoke(ctx: click.Context, token_id: str) -> None:
    """Revoke an API token by its id (or the prefix `tokens list` shows): refused at once."""
    token = revoke_api_token(_wiring(ctx).db, token_id)
    _console.print(f"revoked API token {token.id[:8]}", highlight=False)


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--challenge", "challenge_id", help="Challenge id (with --token).")
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="Service URL.")
@click.option("--token", envvar="TAKEHOME_API_TOKEN", help="A reviewer's API token.")
@click.option(
    "--invite",
    envvar="TAKEHOME_INVITE",
    help="Submit as the candidate: an invite link or token (no API token needed).",
)
@click.option("--wait/--no-wait", default=True, help="Wait for the report and print it.")
@click.option("--timeout", type=float, default=900.0, show_default=True, help="Seconds to wait.")
@click.option(
    "--min-score",
    type=click.FloatRange(0, 100),
    help="Exit 1 when the overall score is below this (a CI gate).",
)
@_path_option("json", "Write the report JSON here; '-': alone on stdout.", dash=True)
@_path_option("html", "Write an HTML report here.")
@_path_option("junit", "Write the service's JUnit XML export here (reviewers).")
@_path_option("sarif", "Write the service's SARIF export here (reviewers).")
def submit(
    *,
    path: Path,
    challenge_id: str | None,
    url: str,
    token: str | None,
    invite: str | None,
    wait: bool,
    timeout: float,
    min_score: float | None,
    json_out: Path | None,
    html_out: Path | None,
    junit_out: Path | None,
    sarif_out: Path | None,
) -> None:
    """Submit a directory or archive to a running service (the JSON API) and wait for its report.

    As a reviewer: `--challenge` and `--token` (or TAKEHOME_API_TOKEN; `takehome tokens create
    EMAIL`). As a candidate: `--invite` with the invite link (or its token and `--url`), or
    TAKEHOME_INVITE; then what the challenge's feedback policy shows is printed. Exit codes:
    0 graded (and at least `--min-score`), 1 below it or the run failed (docs/ci.md)."""
    outputs = _Outputs(json_out, html_out, junit_out, sarif_out, min_score)
    if not wait and outputs.asked():
        raise UsageProblem(f"{', '.join(outputs.asked())} need the report: drop --no-wait")
    if invite:
        _submit_invite(path, invite, url, wait=wait, timeout=timeout, outputs=outputs)
        return
    if not challenge_id or not token:
        raise UsageProblem("give --challenge and --token (a reviewer), or --invite")
    client = ApiClient(url, token)
    submission_id = client.submit(snapshot_path(path, IntakeLimits()), challenge_id, path.name)
    link = f"{url.rstrip('/')}/reviewer/submissions/{submission_id}"
    _errors.print(f"submitted {path.name} ({challenge_id}): {link}", soft_wrap=True)
    if not wait:
        click.echo(submission_id)
        return
    summary = client.wait(submission_id, timeout)
    if summary["state"] != "done":
        raise CheckFailed(f"run {summary['state']}: {summary.get('error')}")
    report = client.report(submission_id)
    title = f"{challenge_id} / {path.name}: {report.score:.1f} / 100"
    print_report(outputs.human, report, title=title)
    _save_report(client, submission_id, report, outputs)
    _check_score(report.score, outputs)


def _save_report(client: ApiClient, submission_id: str, report: Report, outputs: _Outputs) -> None:
    """Write the files asked for: the report JSON and HTML from the report, the JUnit and SARIF
    exports as the service renders them (its version, its URL, its blinding)."""
    if outputs.json:
        _write(outputs.json, report.to_json())
    if outputs.html:
        _write(outputs.html, render_html(report))
    for name, target in (("report.junit.xml", outputs.junit), ("report.sarif", outputs.sarif)):
        if target:
            _write(target, client.export(submission_id, name))


def _submit_invite(
    path: Path, invite: str, url: str, *, wait: bool, timeout: float, outputs: _Outputs
) -> None:
    """`submit --invite`: through the candidate's routes; prints the candidate's status."""
    if outputs.junit or outputs.sarif or outputs.html:
        raise UsageProblem("--junit, --sarif and --html are reviewer exports: give --token")
    base, invite_token = parse_invite(invite, url)
    client = InviteClient(base, invite_token)
    submission_id = client.submit(snapshot_path(path, IntakeLimits()), path.name)
    link = f"{base}/i/{invite_token}/submissions/{submission_id}"
    _errors.print(f"submitted {path.name}: {link}", soft_wrap=True)
    if not wait:
        click.echo(submission_id)
        return
    status = client.wait(submission_id, timeout)
    if outputs.json:
        _write(outputs.json, json.dumps(status, indent=2))
    _print_status(outputs.human, status)
    if status["state"] != "done":
        raise CheckFailed(status.get("message", f"submission {status['state']}"))
    if outputs.min_score is not None:
        if "score" not in status:
            raise UsageProblem("--min-score: the challenge's feedback policy shows no score")
        _check_score(float(status["score"]), outputs)


def _print_status(out: Console, status: dict[str, Any]) -> None:
    """What the candidate's status page shows, as text."""
    lines = [f"state: {status['state']}" + (" (late)" if status.get("late") else "")]
    if "score" in status:
        lines.append(f"score: {status['score']:.1f} / 100")
        lines += [f"  {name}: {score:.1f}" for name, score in status.get("categories", {}).items()]
    lines += [f"  {test['outcome']:>8}  {test['id']}" for test in status.get("tests", [])]
    for line in lines:
        out.print(line, markup=False, highlight=False, soft_wrap=True)


cli.add_command(events)


def main() -> None:
    """Entry point of the `takehome` console script."""
    cli()
