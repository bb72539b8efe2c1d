"""Making an invite: the one path the API, the reviewer's form and the command line share.

`open_invite` records the starter of the challenge's current version (`runner.starter`), so the
invite hands out that starter for as long as it lives, then stores the invite with its version,
its clock (`time_limit_hours`, `strict`), the candidate's e-mail address and whether it is
blind (`InviteSpec.blind`; None takes the challenge's `[review] blind`, see `api.blinding`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from runner.blobs import BlobStore
from runner.challenge import Challenge
from runner.starter import remember_starter
from runner.store.db import Database
from runner.store.models import Invite
from runner.store.records import create_invite

__all__ = ["InviteSpec", "default_time_limit", "open_invite"]

_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class InviteSpec:
    """What a reviewer chooses for a new invite."""

    candidate: str
    expires_days: float = 7.0
    max_submissions: int = 3
    created_by: str | None = None
    time_limit_hours: float | None = None
    """None: untimed (the starter can be downloaded and submissions made at any time)."""
    strict: bool = False
    email: str | None = None
    blind: bool | None = None
    """Reviewers see a pseudonym until a decision; None: the challenge's `[review] blind`."""


def open_invite(
    db: Database, blobs: BlobStore, challenge: Challenge, spec: InviteSpec
) -> tuple[Invite, str]:
    """A new invite for `challenge` and its token (shown once)."""
    remember_starter(db, blobs, challenge)
    return create_invite(
        db,
        challenge_id=challenge.id,
        candidate=spec.candidate,
        expires_days=spec.expires_days,
        max_submissions=spec.max_submissions,
        created_by=spec.created_by,
        challenge_version=challenge.version_hash,
        time_limit_hours=spec.time_limit_hours,
        strict=spec.strict,
        email=(spec.email or "").strip() or None,
        blind=challenge.manifest.review.blind if spec.blind is None else spec.blind,
    )


def default_time_limit(challenge: Challenge) -> float | None:
    """The hours to offer in the invite form: the upper end of the manifest's `time_estimate`
    ("3-4 hours" -> 4.0, "90 minutes" -> 1.5); None when it says no number."""
    text = (challenge.manifest.time_estimate or "").lower()
    numbers = [float(n) for n in _NUMBER.findall(text)]
    if not numbers:
        return None
    value = max(numbers)
    return round(value / 60, 2) if "min" in text and "hour" not in text else value
