"""Repository bindings and their webhook secrets; Git provenance of a submission.

A binding's webhook secret is never stored. It is derived when needed::

    secret = base64url(HMAC-SHA256(service key, "takehome-webhook:" + binding id + ":" + salt))

with a random per-binding salt kept in the row. GitHub signs each delivery with HMAC-SHA256
under the secret, so the service must be able to recompute the secret (a hash of it would not
do); deriving it means a copy of the database alone does not reveal any secret (the key is not in
the database), and nothing extra needs encrypting. The row keeps `sha256(secret)` too, so a
changed service key (which changes every derived secret: rebind, or keep the key) is told apart
from a wrong signature in the logs. The secret is shown once, when the binding is made.

An invite takes at most `max_bindings` bindings (`new_binding` raises `BindingLimitReached`,
counted under the invite's row lock), and its pushes are capped together: `invite_push_count`
counts every push through any of its bindings, so adding bindings adds no pushes.

`records.add_submission` calls, inside its transaction, `check_delivery` (a delivery already seen
raises `DuplicateDelivery`), for a push the push cap (`invite_push_count`, see `records`) and
`supersede_queued` (before the invite's limit is checked: a superseded submission does not
count), then `record_git` (provenance columns and the delivery row).

A push supersedes only the queued first runs of earlier pushes through the same binding: never
the invite's uploads or API Git submissions, never another binding's pushes, and never a
reviewer's regrade (a run that is not its submission's first).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from runner.store.models import (
    Invite,
    RepoBinding,
    Run,
    Submission,
    WebhookDelivery,
    new_id,
    utcnow,
)

__all__ = [
    "PROVIDERS",
    "BindingLimitReached",
    "DuplicateDelivery",
    "GitProvenance",
    "binding_secret",
    "check_delivery",
    "invite_push_count",
    "new_binding",
    "record_git",
    "secret_matches_check",
    "seen_delivery",
    "supersede_queued",
]

PROVIDERS = ("github", "gitlab")


class DuplicateDelivery(Exception):
    """The webhook delivery was accepted before; `.submission_id` is what it created."""

    def __init__(self, submission_id: str) -> None:
        super().__init__(f"delivery already accepted (submission {submission_id})")
        self.submission_id = submission_id


class BindingLimitReached(Exception):
    """The invite has all the repository bindings it takes (answered 409 limit_reached)."""


def binding_secret(key: str, binding_id: str, salt: str) -> str:
    """The webhook secret of a binding, derived from the service's secret key."""
    message = f"takehome-webhook:{binding_id}:{salt}".encode()
    mac = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _check(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches_check(binding: RepoBinding, secret: str) -> bool:
    """Whether `secret` is the one the binding was made with (False: the key changed)."""
    return hmac.compare_digest(_check(secret), binding.secret_check)


def new_binding(
    session: Session,
    key: str,
    *,
    invite_id: str,
    provider: str,
    repo_url: str,
    branch: str,
    created_by: str | None,
    max_bindings: int | None = None,
) -> tuple[RepoBinding, str]:
    """Add a binding; returns it and its secret (shown once, never stored). With
    `max_bindings`, raise `BindingLimitReached` when the invite has that many already (counted
    under the invite's row lock: two concurrent binds cannot both take the last one)."""
    if provider not in PROVIDERS:
        raise ValueError(f"provider must be one of {PROVIDERS}, not {provider!r}")
    if max_bindings is not None:
        _check_binding_limit(session, invite_id, max_bindings)
    binding_id, salt = new_id(), secrets.token_hex(16)
    secret = binding_secret(key, binding_id, salt)
    binding = RepoBinding(
        id=binding_id,
        invite_id=invite_id,
        provider=provider,
        repo_url=repo_url,
        branch=branch,
        secret_salt=salt,
        secret_check=_check(secret),
        created_by=created_by,
    )
    session.add(binding)
    session.flush()
    return binding, secret


def _check_binding_limit(session: Session, invite_id: str, max_bindings: int) -> None:
    session.get(Invite, invite_id, with_for_update=True)
    count = session.scalar(
        select(func.count()).select_from(RepoBinding).where(RepoBinding.invite_id == invite_id)
    )
    if (count or 0) >= max_bindings:
        raise BindingLimitReached(
            f"this invite has {count} repository bindings, the most it takes"
            " (TAKEHOME_MAX_BINDINGS_PER_INVITE)"
        )


@dataclass(frozen=True)
class GitProvenance:
    """Where a Git submission came from; with a delivery, the webhook that sent it."""

    repo_url: str
    ref: str
    commit_sha: str
    binding_id: str | None = None
    provider: str | None = None
    delivery_key: str | None = None
    supersede_queued: bool = False


def seen_delivery(session: Session, binding_id: str, key: str) -> str | None:
    """The submission an accepted delivery created, or None."""
    return session.scalar(
        select(WebhookDelivery.submission_id).where(
            WebhookDelivery.binding_id == binding_id, WebhookDelivery.delivery_key == key
        )
    )


def check_delivery(session: Session, prov: GitProvenance) -> None:
    """Raise `DuplicateDelivery` when the provenance's delivery was accepted before."""
    if not (prov.binding_id and prov.delivery_key):
        return
    if (earlier := seen_delivery(session, prov.binding_id, prov.delivery_key)) is not None:
        raise DuplicateDelivery(earlier)


def record_git(session: Session, submission: Submission, prov: GitProvenance) -> None:
    """Fill a new submission's provenance and record its delivery.

    The delivery is checked again here: on PostgreSQL the invite's row lock (taken since the
    first check) makes a concurrent redelivery wait and then see the first one."""
    check_delivery(session, prov)
    submission.repo_url = prov.repo_url[:2048]
    submission.git_ref = prov.ref[:255]
    submission.commit_sha = prov.commit_sha
    submission.binding_id = prov.binding_id
    submission.delivery_id = prov.delivery_key[:200] if prov.delivery_key else None
    session.add(submission)
    session.flush()
    if prov.binding_id and prov.delivery_key:
        session.add(
            WebhookDelivery(
                binding_id=prov.binding_id,
                provider=prov.provider or "",
                delivery_key=prov.delivery_key[:200],
                submission_id=submission.id,
            )
        )


def invite_push_count(session: Session, invite_id: str) -> int:
    """How many submissions pushes through any of the invite's bindings created, superseded
    ones included."""
    count = session.scalar(
        select(func.count())
        .select_from(Submission)
        .where(Submission.invite_id == invite_id, Submission.binding_id.is_not(None))
    )
    return count or 0


def supersede_queued(session: Session, binding_id: str, newer_id: str) -> None:
    """Queued first runs of the binding's earlier pushes become `superseded` (never claimed) by
    the submission `newer_id` about to be inserted; those submissions stop counting against the
    invite's limit. Called before the limit is checked, in the same transaction."""
    older = select(Submission.id).where(
        Submission.binding_id == binding_id,
        Submission.source_kind == "git",
        Submission.id != newer_id,
    )
    one_run = (  # a submission with one run: a second one is a reviewer's regrade
        select(Run.submission_id)
        .where(Run.submission_id.in_(older))
        .group_by(Run.submission_id)
        .having(func.count() == 1)
    )
    queued = list(
        session.execute(
            select(Run.id, Run.submission_id).where(
                Run.state == "queued", Run.submission_id.in_(older), Run.submission_id.in_(one_run)
            )
        )
    )
    for run_id, submission_id in queued:
        replaced = session.execute(
            update(Run)
            .where(Run.id == run_id, Run.state == "queued")
            .values(
                state="superseded",
                finished_at=utcnow(),
                error=f"superseded by a newer push (submission {newer_id})",
            )
            .execution_options(synchronize_session=False)
        )
        if replaced.rowcount == 1:  # type: ignore[attr-defined]
            session.execute(
                update(Submission)
                .where(Submission.id == submission_id)
                .values(superseded_by=newer_id)
                .execution_options(synchronize_session=False)
            )
