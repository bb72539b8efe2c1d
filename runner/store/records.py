"""Reading and writing the service's records: reviewers, tokens, invites, submissions, runs.

Every write is one transaction (`Database.writing()`): a submission's blob is stored and its rows
inserted inside it, after every check, so a refused upload leaves nothing behind and a failed
insert leaves at most an unreferenced, content-addressed blob.

Exception tree::

    StoreError
    ├── NotFound (also LookupError)   no such reviewer, invite, submission or run
    ├── InviteExpired                 the invite's expiry has passed
    ├── DeadlinePassed                a strict invite's clock has run out (403)
    ├── NotStarted                    a timed invite's clock has not been started (409)
    ├── SubmissionLimitReached        the invite's submissions are used up
    ├── AlreadyExists                 a reviewer with that email exists
    └── AmbiguousId (also LookupError) an id prefix names more than one record

    DuplicateDelivery (runner.store.bindings)  a webhook delivery seen before: an outcome,
                                               carrying the submission it created

Push cap: superseded pushes do not count against an invite's `max_submissions`, so pushes are
bounded on their own: an invite accepts at most `PUSH_CAP_FACTOR` x `max_submissions` pushes
in all, through all its bindings together (superseded included); past that a push raises
`SubmissionLimitReached` (409).

Revocation (migration 0005): an API token works until its expiry (`DEFAULT_TOKEN_DAYS` unless
given) or its revocation, and only while its reviewer is not disabled; disabling a reviewer also
bumps their session generation, which ends every session (`api.auth` checks it per request).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from runner.blobs import BlobStore
from runner.intake import Snapshot
from runner.store import events
from runner.store.bindings import (
    GitProvenance,
    check_delivery,
    invite_push_count,
    record_git,
    supersede_queued,
)
from runner.store.db import Database
from runner.store.models import (
    ApiToken,
    Invite,
    Reviewer,
    Run,
    Submission,
    SubmissionHistory,
    new_id,
    utcnow,
)
from runner.store.secrets import hash_password, new_token, token_digest, verify_password

if TYPE_CHECKING:
    from runner.gitintake import GitHistory

__all__ = [
    "DEFAULT_TOKEN_DAYS",
    "PUSH_CAP_FACTOR",
    "TOKEN_USE_GRANULARITY",
    "AlreadyExists",
    "AmbiguousId",
    "DeadlinePassed",
    "InviteExpired",
    "NewSubmission",
    "NotFound",
    "NotStarted",
    "StoreError",
    "SubmissionLimitReached",
    "add_submission",
    "authenticate",
    "check_invite",
    "check_push_cap",
    "create_api_token",
    "create_invite",
    "create_reviewer",
    "disable_reviewer",
    "enable_reviewer",
    "end_sessions",
    "enqueue_regrade",
    "invite_for_token",
    "list_api_tokens",
    "reviewer_for_token",
    "revoke_api_token",
    "set_graded_mail",
    "set_password",
    "start_clock",
    "touch_api_token",
    "usable_api_token",
]


PUSH_CAP_FACTOR = 10
"""An invite accepts at most this many times its `max_submissions` pushes (all bindings)."""

DEFAULT_TOKEN_DAYS = 90.0
"""An API token's lifetime when none is given (`Settings.api_token_days` in the CLI)."""

TOKEN_USE_GRANULARITY = timedelta(minutes=10)
"""A token's `last_used_at` is rewritten at most this often (one write, not one a request)."""


class StoreError(Exception):
    """Base of the record-keeping faults a caller can act on."""


class NotFound(StoreError, LookupError):
    """No record with that key."""


class InviteExpired(StoreError):
    """The invite's expiry has passed."""


class DeadlinePassed(StoreError):
    """A strict invite's deadline has passed: the submission is refused."""


class NotStarted(StoreError):
    """A timed invite's clock has not been started yet."""


class SubmissionLimitReached(StoreError):
    """The invite allows no more submissions."""


class AlreadyExists(StoreError):
    """A record with that unique key exists."""


class AmbiguousId(StoreError, LookupError):
    """An id prefix matches more than one record."""


def create_reviewer(db: Database, email: str, password: str) -> Reviewer:
    """Add a reviewer with an argon2-hashed password."""
    email = email.strip().lower()
    with db.writing() as session:
        if session.scalar(select(Reviewer).where(Reviewer.email == email)) is not None:
            raise AlreadyExists(f"a reviewer {email!r} exists")
        reviewer = Reviewer(email=email, password_hash=hash_password(password))
        session.add(reviewer)
    return reviewer


def authenticate(session: Session, email: str, password: str) -> Reviewer | None:
    """The reviewer whose email and password match, else None (in constant-ish time)."""
    reviewer = session.scalar(select(Reviewer).where(Reviewer.email == email.strip().lower()))
    ok = verify_password(reviewer.password_hash if reviewer else None, password)
    # A disabled reviewer costs the same hash and gets the same answer as a wrong password.
    return reviewer if ok and reviewer is not None and reviewer.disabled_at is None else None


def create_api_token(db: Database, email: str, *, expires_days: float = DEFAULT_TOKEN_DAYS) -> str:
    """A new API token for the reviewer `email`; the token is returned once, never stored.

    It expires `expires_days` from now."""
    token = new_token()
    with db.writing() as session:
        reviewer = _reviewer_by_email(session, email)
        session.add(
            ApiToken(
                reviewer_id=reviewer.id,
                token_hash=token_digest(token),
                expires_at=utcnow() + timedelta(days=expires_days),
            )
        )
    return token


def _reviewer_by_email(session: Session, email: str) -> Reviewer:
    reviewer = session.scalar(select(Reviewer).where(Reviewer.email == email.strip().lower()))
    if reviewer is None:
        raise NotFound(f"no reviewer {email!r}")
    return reviewer


def usable_api_token(session: Session, token: str, now: datetime | None = None) -> ApiToken | None:
    """The token row, when the token is known, not expired, not revoked, and its reviewer is
    not disabled; else None."""
    # One SELECT (the token joined to its reviewer): every API request makes it.
    row = session.scalar(
        select(ApiToken)
        .options(joinedload(ApiToken.reviewer))
        .where(ApiToken.token_hash == token_digest(token))
    )
    now = now or utcnow()
    if row is None or row.revoked_at is not None or row.reviewer.disabled_at is not None:
        return None
    return row if row.expires_at is None or row.expires_at > now else None


def touch_api_token(db: Database, token_id: str) -> None:
    """Record that the token was used now, unless that was recorded in the last
    `TOKEN_USE_GRANULARITY`."""
    now = utcnow()
    with db.writing() as session:
        session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token_id,
                (ApiToken.last_used_at.is_(None))
                | (ApiToken.last_used_at < now - TOKEN_USE_GRANULARITY),
            )
            .values(last_used_at=now)
        )


def list_api_tokens(session: Session) -> list[ApiToken]:
    """Every API token (revoked and expired ones too), oldest first, with its reviewer."""
    query = select(ApiToken).options(joinedload(ApiToken.reviewer)).order_by(ApiToken.created_at)
    return list(session.scalars(query))


def revoke_api_token(db: Database, id_prefix: str) -> ApiToken:
    """Revoke the token whose id starts with `id_prefix` (as `tokens list` shows it)."""
    prefix = id_prefix.strip().lower()
    if len(prefix) < 4 or not all(c in "0123456789abcdef" for c in prefix):
        raise NotFound(f"no API token {id_prefix!r} (give at least 4 hex digits of its id)")
    with db.writing() as session:
        rows = list(session.scalars(select(ApiToken).where(ApiToken.id.startswith(prefix))))
        if not rows:
            raise NotFound(f"no API token {id_prefix!r}")
        if len(rows) > 1:
            raise AmbiguousId(f"{len(rows)} API tokens start with {id_prefix!r}: give more")
        row = rows[0]
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        return row


def end_sessions(db: Database, reviewer_id: str) -> None:
    """Log the reviewer out everywhere: every session cookie issued so far is refused."""
    with db.writing() as session:
        session.execute(
            update(Reviewer)
            .where(Reviewer.id == reviewer_id)
            .values(session_generation=Reviewer.session_generation + 1)
        )


def set_password(db: Database, email: str, password: str) -> Reviewer:
    """Change a reviewer's password; every session of theirs ends (API tokens stay)."""
    password_hash = hash_password(password)
    with db.writing() as session:
        reviewer = _reviewer_by_email(session, email)
        reviewer.password_hash = password_hash
        reviewer.session_generation += 1
        return reviewer


def enable_reviewer(db: Database, email: str) -> Reviewer:
    """Undo `disable_reviewer`: the reviewer may log in again (old sessions stay ended)."""
    with db.writing() as session:
        reviewer = _reviewer_by_email(session, email)
        reviewer.disabled_at = None
        return reviewer


def disable_reviewer(db: Database, email: str) -> Reviewer:
    """Shut the reviewer out at once: no login, their sessions and API tokens refused."""
    with db.writing() as session:
        reviewer = _reviewer_by_email(session, email)
        if reviewer.disabled_at is None:
            reviewer.disabled_at = utcnow()
        reviewer.session_generation += 1
        return reviewer


def set_graded_mail(db: Database, reviewer_id: str, on: bool) -> Reviewer:
    """Opt a reviewer in to (from now on) or out of "graded" e-mails (`runner.mail`)."""
    with db.writing() as session:
        reviewer = session.get(Reviewer, reviewer_id)
        if reviewer is None:
            raise NotFound("no such reviewer")
        if not on:
            reviewer.notify_graded_since = None
        elif reviewer.notify_graded_since is None:
            reviewer.notify_graded_since = utcnow()
        return reviewer


def reviewer_for_token(session: Session, token: str) -> Reviewer | None:
    """The reviewer an API token belongs to (None when it is expired, revoked or the reviewer
    disabled: see `usable_api_token`)."""
    row = usable_api_token(session, token)
    return row.reviewer if row else None


def create_invite(
    db: Database,
    *,
    challenge_id: str,
    candidate: str,
    expires_days: float,
    max_submissions: int,
    created_by: str | None,
    challenge_version: str | None = None,
    time_limit_hours: float | None = None,
    strict: bool = False,
    email: str | None = None,
    blind: bool = False,
) -> tuple[Invite, str]:
    """A new invite and its token (shown once: only the digest is stored).

    `time_limit_hours` puts the invite on a clock started by the candidate (`start_clock`);
    `strict` refuses submissions past its deadline instead of marking them late."""
    token = new_token()
    invite = Invite(
        challenge_id=challenge_id,
        candidate=candidate,
        token_hash=token_digest(token),
        expires_at=utcnow() + timedelta(days=expires_days),
        max_submissions=max_submissions,
        created_by=created_by,
        challenge_version=challenge_version,
        time_limit_hours=time_limit_hours,
        strict=strict,
        email=email,
        blind=blind,
    )
    with db.writing() as session:
        session.add(invite)
    return invite, token


def start_clock(db: Database, invite_id: str) -> Invite:
    """Start the invite's clock now, unless it was started before (then nothing moves)."""
    with db.writing() as session:
        invite = session.get(Invite, invite_id, with_for_update=True)
        if invite is None:
            raise NotFound("no such invite")
        if invite.expires_at <= utcnow():
            raise InviteExpired("this invite has expired")
        if invite.started_at is None:
            invite.started_at = utcnow()
            events.started(session, invite)
        return invite


def invite_for_token(session: Session, token: str) -> Invite | None:
    """The invite a link token opens (expired or not)."""
    return session.scalar(select(Invite).where(Invite.token_hash == token_digest(token)))


@dataclass(frozen=True)
class NewSubmission:
    """What `add_submission` stores: the source and where it came from."""

    challenge_id: str
    snapshot: Snapshot
    filename: str
    source_kind: str = "upload"
    invite_id: str | None = None
    submitted_by: str | None = None
    git: GitProvenance | None = None
    """For a Git submission: repository, ref, commit (and webhook delivery; see `bindings`)."""
    starter_descent: str | None = None
    """For a Git submission: "descends", "unrelated" or "unknown" (see `runner.starter`)."""
    history: GitHistory | None = None
    """For a Git submission: its newest commits (stored as `SubmissionHistory`)."""


def add_submission(db: Database, blobs: BlobStore, new: NewSubmission) -> tuple[str, str]:
    """Check the invite, store the snapshot, insert the submission and its queued run.

    Returns (submission id, run id). The invite checks run inside the write transaction, so
    two concurrent uploads cannot both take an invite's last submission."""
    submission_id = new_id()
    with db.writing() as session:
        if new.git is not None:
            _before_git(session, new.git, new.invite_id, submission_id)
        late = _check_invite(session, new.invite_id) if new.invite_id is not None else False
        digest = blobs.put(new.snapshot.to_tar())
        submission = Submission(
            id=submission_id,
            invite_id=new.invite_id,
            challenge_id=new.challenge_id,
            source_kind=new.source_kind,
            filename=new.filename[:255],
            snapshot_digest=digest,
            submitted_by=new.submitted_by,
            late=late,
            starter_descent=new.starter_descent,
        )
        session.add(submission)
        session.flush()
        if new.git is not None:
            record_git(session, submission, new.git)
        if new.history is not None:
            session.add(SubmissionHistory(submission_id=submission.id, json=new.history.to_json()))
        run = Run(submission_id=submission.id)
        session.add(run)
        session.flush()
        return submission.id, run.id


def _before_git(
    session: Session, git: GitProvenance, invite_id: str | None, submission_id: str
) -> None:
    check_delivery(session, git)  # a redelivery is a duplicate, even past the limit
    if git.supersede_queued and git.binding_id and invite_id is not None:
        invite = session.get(Invite, invite_id, with_for_update=True)
        if invite is None:
            raise NotFound("no such invite")
        check_push_cap(session, invite)
        supersede_queued(session, git.binding_id, submission_id)


def check_push_cap(session: Session, invite: Invite) -> None:
    """Raise `SubmissionLimitReached` when the invite's bindings had all the pushes it accepts."""
    cap = PUSH_CAP_FACTOR * invite.max_submissions
    if invite_push_count(session, invite.id) >= cap:
        raise SubmissionLimitReached(
            f"this invite's repository bindings accept {cap} pushes in all"
            f" ({PUSH_CAP_FACTOR} x the invite's {invite.max_submissions}), all used"
        )


def _check_invite(session: Session, invite_id: str) -> bool:
    """Raise unless the invite takes one more submission; whether it is late."""
    # FOR UPDATE (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers): two uploads
    # on one invite count its submissions one after the other.
    invite = session.get(Invite, invite_id, with_for_update=True)
    if invite is None:
        raise NotFound("no such invite")
    return check_invite(session, invite)


def check_invite(session: Session, invite: Invite, *, count_used: bool = True) -> bool:
    """Raise unless `invite` takes one more submission (`InviteExpired`, `DeadlinePassed` of a
    strict invite, `SubmissionLimitReached` unless not `count_used`); whether it is late.

    Intake calls it before reading an upload or cloning (a push, which may supersede a queued
    submission, skips the count), and `add_submission` again inside its write transaction."""
    now = utcnow()
    if invite.expires_at <= now:
        raise InviteExpired("this invite has expired")
    deadline = invite.deadline()
    late = deadline is not None and now > deadline
    if late and invite.strict:
        raise DeadlinePassed(f"the deadline passed at {deadline:%Y-%m-%d %H:%M} UTC")
    if not count_used:
        return late
    used = session.scalar(
        select(func.count())
        .select_from(Submission)
        .where(Submission.invite_id == invite.id, Submission.superseded_by.is_(None))
    )
    if (used or 0) >= invite.max_submissions:
        raise SubmissionLimitReached(
            f"this invite allows {invite.max_submissions} submission(s), all used"
        )
    return late


def enqueue_regrade(db: Database, submission_id: str, repeat: int = 1) -> str:
    """Queue a new run of a submission (older runs and reports are kept) that runs the hidden
    tests `repeat` times; returns its id.

    A run of the submission already queued is reused rather than doubled (it runs the hidden
    tests the larger of its own and `repeat` times)."""
    with db.writing() as session:
        if session.get(Submission, submission_id) is None:
            raise NotFound("no such submission")
        waiting = session.scalar(
            select(Run)
            .where(Run.submission_id == submission_id, Run.state == "queued")
            .with_for_update()  # PostgreSQL: a worker cannot claim it before this commits
        )
        if waiting is not None:
            waiting.not_before = utcnow()
            waiting.repeat = max(waiting.repeat, repeat)
            return waiting.id
        run = Run(submission_id=submission_id, repeat=repeat)
        session.add(run)
        session.flush()
        return run.id
