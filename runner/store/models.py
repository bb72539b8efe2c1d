"""The service's tables (SQLAlchemy 2.0): reviewers, invites, submissions, runs and reports.

Challenges are not stored: they are folders (`runner.challenge`), referenced by id. Secrets are
never stored in the clear: passwords as argon2 hashes, invite and API tokens as sha256 digests.
A submission's source is a snapshot in the blob store, referenced by digest. A regrade adds a
`Run` and, when it completes, a `StoredReport`; older reports stay, with `current` false.

Git intake (migration 0002): a submission made from a repository records its URL, ref and
commit SHA (and, from a webhook, the binding and the delivery id). A `RepoBinding` ties a
repository and branch to an invite; its webhook secret is not stored but derived from the
service's secret key and a per-binding salt (`runner.store.bindings`). A `WebhookDelivery` row
per accepted delivery deduplicates redeliveries (unique per binding and key).

Reviews (migration 0003): one `Review` per submission and reviewer holds the current content
(levels, notes, line comments, summary, recommendation as JSON in `body`) and its state, draft
or submitted; every save appends a `ReviewRevision` with the content as saved, so edits keep
their history. A `Decision` row is the team's decision on a submission or on an invite;
decisions are append-only, the newest one of a target is the current one.

Authentication (migration 0005): a reviewer's `session_generation` is written into every
session cookie and bumped on logout and disable, so older cookies stop working; `disabled_at`
shuts a reviewer out (sessions and tokens); an API token has an expiry, a revocation time and a
coarse last-use time.

Git history (migration 0010): a Git submission's bounded commit history, one JSON row per
submission (`SubmissionHistory`), written with the submission.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "DECISIONS",
    "FINAL_DECISIONS",
    "RECOMMENDATIONS",
    "REVIEW_STATES",
    "RUN_STATES",
    "ApiToken",
    "Base",
    "Decision",
    "Invite",
    "MailOutbox",
    "RepoBinding",
    "Review",
    "ReviewRevision",
    "Reviewer",
    "Run",
    "StarterVersion",
    "StoredReport",
    "Submission",
    "WebhookDelivery",
    "new_id",
    "utcnow",
]

#: queued -> running -> done | failed (running -> queued again on an infrastructure fault);
#: queued -> superseded when a newer push of the same invite arrives first (never claimed).
RUN_STATES = ("queued", "running", "done", "failed", "superseded")
#: A review is saved as a draft, then submitted (and may be edited afterwards, with history).
REVIEW_STATES = ("draft", "submitted")
#: A reviewer's recommendation, best first.
RECOMMENDATIONS = ("strong_yes", "yes", "no", "strong_no")
#: The team's decision on a submission or an invite.
DECISIONS = ("advance", "hold", "reject")
#: The decisions that close a candidate's case: only these end blind review (`api.blinding`);
#: `hold` keeps the candidate hidden.
FINAL_DECISIONS = ("advance", "reject")


def new_id() -> str:
    """A random 128-bit id in hex: row ids are not guessable and not sequential."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    """The current time, naive UTC (SQLite keeps no time zone; every column is UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Reviewer(Base):
    """A member of the hiring team: reads reports, creates invites."""

    __tablename__ = "reviewers"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    notify_graded_since: Mapped[datetime | None]
    """Opted in to a "graded" e-mail, for reports made since then, of the invites this
    reviewer made (migration 0004); None: no e-mail."""
    # Authentication (migration 0005).
    session_generation: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    """Written into each session cookie; bumped on logout, disable and password change, so that
    every cookie issued before is refused (`api.auth`)."""
    disabled_at: Mapped[datetime | None]
    """Set by `takehome users disable`: no login, and no session or API token works."""


class ApiToken(Base):
    """A reviewer's bearer token for scripts; only its sha256 is kept."""

    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    reviewer_id: Mapped[str] = mapped_column(ForeignKey("reviewers.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewer: Mapped[Reviewer] = relationship()
    # Authentication (migration 0005).
    expires_at: Mapped[datetime | None]
    """Refused from then on (set at creation from `api_token_days`; tokens older than
    migration 0005 got one at the upgrade)."""
    revoked_at: Mapped[datetime | None]
    """Set by `takehome tokens revoke`: refused from then on."""
    last_used_at: Mapped[datetime | None]
    """When it last authenticated a request, to within `records.TOKEN_USE_GRANULARITY`."""


class Invite(Base):
    """A candidate's access to one challenge: the token in its link is the candidate's key."""

    __tablename__ = "invites"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    challenge_id: Mapped[str] = mapped_column(String(64))
    candidate: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    max_submissions: Mapped[int]
    created_by: Mapped[str | None] = mapped_column(ForeignKey("reviewers.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The candidate's journey (migration 0004): see the block at the end of this module.
    challenge_version: Mapped[str | None] = mapped_column(String(71))
    """The challenge's `version_hash` when the invite was made: its starter is handed out."""
    time_limit_hours: Mapped[float | None] = mapped_column(Float)
    """The clock: hours from Start to the deadline; None is untimed."""
    strict: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Past the deadline, refuse submissions (403) instead of marking them late."""
    started_at: Mapped[datetime | None]
    """When the candidate pressed Start (set once)."""
    email: Mapped[str | None] = mapped_column(String(254))
    """The candidate's e-mail address, when given: invite link and notices (with SMTP)."""
    # Blind review (migration 0007).
    blind: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Reviewers see a pseudonym instead of who it is until a final decision (`api.blinding`)."""

    def deadline(self) -> datetime | None:
        """Start plus the time limit; None while untimed or not started."""
        if self.time_limit_hours is None or self.started_at is None:
            return None
        return self.started_at + timedelta(hours=self.time_limit_hours)


class Submission(Base):
    """One snapshot of a candidate's source for one challenge, taken before anything runs."""

    __tablename__ = "submissions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    invite_id: Mapped[str | None] = mapped_column(ForeignKey("invites.id"), index=True)
    challenge_id: Mapped[str] = mapped_column(String(64), index=True)
    source_kind: Mapped[str] = mapped_column(String(16))
    """"upload" or "git"."""
    filename: Mapped[str] = mapped_column(String(255))
    snapshot_digest: Mapped[str] = mapped_column(String(71))
    submitted_by: Mapped[str | None] = mapped_column(ForeignKey("reviewers.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    repo_url: Mapped[str | None] = mapped_column(String(2048))
    git_ref: Mapped[str | None] = mapped_column(String(255))
    commit_sha: Mapped[str | None] = mapped_column(String(64))
    binding_id: Mapped[str | None] = mapped_column(String(32))
    delivery_id: Mapped[str | None] = mapped_column(String(200))
    superseded_by: Mapped[str | None] = mapped_column(String(32))
    """The newer push that replaced this one before it was graded (it then does not count
    against the invite's submission limit)."""
    late: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Made after the invite's deadline (accepted: the invite is not strict)."""
    starter_descent: Mapped[str | None] = mapped_column(String(16))
    """A Git submission's relation to the starter commit: "descends", "unrelated" or
    "unknown" (not within the history fetched); None for an upload."""
    invite: Mapped[Invite | None] = relationship()


class Run(Base):
    """One grading of a submission; the queue is this table (see `runner.queue`)."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_state_created", "state", "created_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    repeat: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    """How many times the run's grading runs the hidden tests (a regrade's `repeat`, migration
    0011): a test whose outcome differs between them is reported flaky."""
    submission: Mapped[Submission] = relationship()


class StoredReport(Base):
    """The report of one run (JSON of `graders.model.Report`); `current` marks the newest."""

    __tablename__ = "reports"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), unique=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    score: Mapped[float]
    json: Mapped[str] = mapped_column(Text)
    current: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # --- The report's summary (migration 0006): what list views and the candidate read ------
    summary_json: Mapped[str | None] = mapped_column(Text)
    """`runner.store.summary.ReportSummary` as JSON; written with the report (NULL only for an
    older report the migration could not read)."""


class RepoBinding(Base):
    """A repository branch bound to an invite: its pushes become submissions (webhooks)."""

    __tablename__ = "repo_bindings"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    invite_id: Mapped[str] = mapped_column(ForeignKey("invites.id"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    """"github" or "gitlab": which webhook endpoint accepts it."""
    repo_url: Mapped[str] = mapped_column(String(2048))
    branch: Mapped[str] = mapped_column(String(255))
    secret_salt: Mapped[str] = mapped_column(String(64))
    secret_check: Mapped[str] = mapped_column(String(64))
    """sha256 of the derived secret: tells a changed service key from a wrong signature."""
    created_by: Mapped[str | None] = mapped_column(ForeignKey("reviewers.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(default=True)


class WebhookDelivery(Base):
    """One accepted webhook delivery; a redelivery (same binding and key) creates nothing."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("binding_id", "delivery_key", name="uq_webhook_deliveries_key"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    binding_id: Mapped[str] = mapped_column(ForeignKey("repo_bindings.id"))
    provider: Mapped[str] = mapped_column(String(16))
    delivery_key: Mapped[str] = mapped_column(String(200))
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Review(Base):
    """One reviewer's review of one submission: the current content and its state."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("submission_id", "reviewer_id", name="uq_reviews_submission_reviewer"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    reviewer_id: Mapped[str] = mapped_column(ForeignKey("reviewers.id"))
    state: Mapped[str] = mapped_column(String(16), default="draft")
    recommendation: Mapped[str | None] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    """JSON: `{"levels": {criterion: {"score", "note"}}, "comments": [{"file", "line",
    "text"}], "summary": str}` (see `runner.store.reviews.ReviewContent`)."""
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    reviewer: Mapped[Reviewer] = relationship(lazy="joined")


class ReviewRevision(Base):
    """A review as it was saved once: append-only, numbered from 1 per review."""

    __tablename__ = "review_revisions"
    __table_args__ = (UniqueConstraint("review_id", "number", name="uq_review_revisions_number"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    review_id: Mapped[str] = mapped_column(ForeignKey("reviews.id"))
    number: Mapped[int]
    state: Mapped[str] = mapped_column(String(16))
    recommendation: Mapped[str | None] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Decision(Base):
    """The team's decision on a submission or (with `submission_id` None) on an invite."""

    __tablename__ = "decisions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    submission_id: Mapped[str | None] = mapped_column(ForeignKey("submissions.id"), index=True)
    invite_id: Mapped[str | None] = mapped_column(ForeignKey("invites.id"), index=True)
    value: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(ForeignKey("reviewers.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewer: Mapped[Reviewer] = relationship(lazy="joined")


# --- The candidate's journey (migration 0004): starter versions and the mail outbox ----------


class StarterVersion(Base):
    """The starter of one challenge version: its one-commit repository's id and its snapshot.

    Recorded when the first invite of that version is made (`runner.starter`), so an invite
    hands out the starter of its own version even after the challenge folder changed."""

    __tablename__ = "starter_versions"
    __table_args__ = (
        UniqueConstraint("challenge_id", "version_hash", name="uq_starter_versions_version"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    challenge_id: Mapped[str] = mapped_column(String(64))
    version_hash: Mapped[str] = mapped_column(String(71))
    commit_sha: Mapped[str] = mapped_column(String(64), index=True)
    snapshot_digest: Mapped[str] = mapped_column(String(71))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MailOutbox(Base):
    """One e-mail to send (`runner.mail`): written in the transaction that caused it, sent
    later, retried with backoff; `sent_at` set once delivered, `failed` after the last try."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        Index("ix_mail_outbox_due", "sent_at", "failed", "not_before"),
        UniqueConstraint("kind", "submission_id", "recipient", name="uq_mail_outbox_notice"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    invite_id: Mapped[str | None] = mapped_column(String(32), index=True)
    submission_id: Mapped[str | None] = mapped_column(String(32))
    """The submission a "received" or "graded" notice is about (one notice each)."""
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    """"invite", "received" or "graded"."""
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    failed: Mapped[bool] = mapped_column(default=False)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SubmissionHistory(Base):
    """A Git submission's history as fetched (`runner.gitintake.GitHistory`, stored as JSON):
    the facts only; the reviewer's signals are derived when read (`runner.githistory`)."""

    __tablename__ = "submission_histories"
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), primary_key=True)
    json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
