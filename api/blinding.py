"""Blind review: the one place where a candidate's identity is shown to a reviewer, or hidden.

An invite made with `blind` (`runner.invites.InviteSpec.blind`, or the challenge's
`[review] blind`) hides who it is from reviewers until a final decision (`advance` or `reject`,
`runner.store.models.FINAL_DECISIONS`; `hold` is not one) is recorded on the invite or on any of
its submissions (the pseudonym is per invite, so one decided submission would link the
others to the name anyway). While it is hidden, every reviewer page, JSON answer and export gets
from here, instead of the stored values:

- the candidate's name: a stable pseudonym, `Candidate 7F3A9C`, an HMAC of the invite id keyed by
  the service's secret key (the same on every page, different for every invite; six hex digits so
  that a few thousand invites do not collide in practice);
- the candidate's e-mail address: nothing;
- a Git submission's repository URL (a GitHub URL names its owner) and a binding's repository:
  `HIDDEN`; the file name Git submissions are stored under (the repository's name) and the
  archive's file name as uploaded (`ada-lovelace.zip`): `repository@<commit>` and `archive.zip`;
- the report's `provenance`: any key naming a repository, an author, a committer or an e-mail is
  replaced by `HIDDEN`, at read time (the stored report is never rewritten);
- a run's error text and a commit's subject: the repository URLs, each repository's owner and
  `owner/name` (a merge's subject names them: `Merge pull request #3 from ada-lovelace/fix`),
  the candidate's name and the e-mail address, in any case, wherever they occur as a whole
  (not inside a longer name: owner `ada` leaves `adam` alone).

The commit id and the ref stay (a reviewer compares pushes by them). Nothing inside the
candidate's own files is touched: a NOTES.md signed with a name shows that name.

The creator of an invite still sees who it is on the invite's page (`/reviewer/invites/{id}`
and its JSON twin `/api/invites/{id}/timeline`): `invite_identity(..., reviewer_id)`. Everywhere
else they see the pseudonym too.

Routes never test `invite.blind` themselves: they pass what they read through a `Blinding`
(`blind_view`, `blind_views`) or an `Identity` (`invite_identity`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.services import Services
from api.views import SubmissionView
from runner.store import Invite, RepoBinding, Submission
from runner.store.models import FINAL_DECISIONS, Decision

__all__ = [
    "HIDDEN",
    "Blinding",
    "Identity",
    "blind_view",
    "blind_views",
    "blinding",
    "invite_identity",
    "pseudonym",
]

HIDDEN = "(hidden: blind review)"
_CONTEXT = b"takehome blind review\x00"
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
#: Provenance keys (any depth, compared lower-case) whose values may name the candidate.
_NAMING_KEYS = ("repo", "repository", "url", "author", "committer", "email", "candidate")


def pseudonym(secret_key: str, invite_id: str) -> str:
    """`Candidate 7F3A9C`: stable for one invite and one secret key, different across invites."""
    digest = hmac.new(secret_key.encode(), _CONTEXT + invite_id.encode(), hashlib.sha256)
    return f"Candidate {digest.hexdigest()[:6].upper()}"


def _names_someone(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in _NAMING_KEYS)


def _scrub_provenance(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: HIDDEN if _names_someone(str(k)) else _scrub_provenance(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub_provenance(v) for v in value]
    return value


def _archive_name(view: SubmissionView) -> str:
    if view.source_kind == "git":
        return f"repository@{(view.commit_sha or '')[:12]}"
    lowered = view.filename.lower()
    suffix = next((s for s in _ARCHIVE_SUFFIXES if lowered.endswith(s)), "")
    return f"archive{suffix}"


@dataclass(frozen=True)
class Identity:
    """Who an invite is from, as one viewer may see it now."""

    hidden: bool
    name: str
    """The candidate's name, or the pseudonym while hidden."""
    email: str | None
    """The candidate's e-mail address; None while hidden (or never given)."""
    secrets: tuple[str, ...] = ()
    """Strings scrubbed from free text while hidden (e-mail address, name, repository URLs,
    owners and `owner/name`s), longest first."""

    def repo(self, url: str | None) -> str | None:
        """A repository URL as shown: `HIDDEN` while hidden."""
        return HIDDEN if self.hidden and url else url

    def text(self, value: str | None) -> str | None:
        """Free text (an error message) with the identifying strings replaced."""
        if not self.hidden or value is None or not self.secrets:
            return value
        alternatives = "|".join(re.escape(secret) for secret in self.secrets)
        pattern = rf"(?<![\w-])(?:{alternatives})(?![\w-])"
        return re.sub(pattern, HIDDEN, value, flags=re.IGNORECASE)

    def report_json(self, stored: str | None) -> str | None:
        """The stored report with its provenance scrubbed while hidden (read time only)."""
        if not self.hidden or stored is None:
            return stored
        try:
            data = json.loads(stored)
        except ValueError:  # not JSON: free text, scrubbed as such (its readers refuse it)
            return self.text(stored)
        if isinstance(data, dict) and "provenance" in data:
            data["provenance"] = _scrub_provenance(data["provenance"])
        return json.dumps(data)

    def view(self, view: SubmissionView) -> SubmissionView:
        """The submission as this viewer may see it (unchanged unless hidden)."""
        if not self.hidden:
            return view
        return dataclasses.replace(
            view,
            candidate=self.name,
            filename=_archive_name(view),
            repo_url=None,
            error=self.text(view.error),
            report_json=self.report_json(view.report_json),
        )


_OPEN = Identity(hidden=False, name="", email=None)


@dataclass(frozen=True)
class Blinding:
    """The identities of a set of invites for one viewer (one resolution per request)."""

    hidden: dict[str, Identity]
    """Only the invites whose identity is hidden; any other invite shows as stored."""

    def of(self, invite: Invite) -> Identity:
        """The identity of `invite` (its stored name and e-mail unless hidden)."""
        return self.hidden.get(invite.id) or Identity(False, invite.candidate, invite.email)

    def view(self, view: SubmissionView) -> SubmissionView:
        """`view` as the viewer may see it."""
        return self.hidden.get(view.invite_id or "", _OPEN).view(view)

    def views(self, views: Iterable[SubmissionView]) -> list[SubmissionView]:
        """Each of `views` as the viewer may see it."""
        return [self.view(view) for view in views]


def _decided(session: Session, invite_ids: Collection[str]) -> set[str]:
    """The invites with a final decision (`FINAL_DECISIONS`: not `hold`) on them or on any of
    their submissions."""
    final = Decision.value.in_(FINAL_DECISIONS)
    on_invite = select(Decision.invite_id).where(Decision.invite_id.in_(invite_ids), final)
    on_submission = (
        select(Submission.invite_id)
        .join(Decision, Decision.submission_id == Submission.id)
        .where(Submission.invite_id.in_(invite_ids), final)
    )
    found = set(session.scalars(on_invite)) | set(session.scalars(on_submission))
    return {invite_id for invite_id in found if invite_id is not None}


def _repositories(session: Session, invite_ids: Collection[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    bound = select(RepoBinding.invite_id, RepoBinding.repo_url).where(
        RepoBinding.invite_id.in_(invite_ids)
    )
    pushed = select(Submission.invite_id, Submission.repo_url).where(
        Submission.invite_id.in_(invite_ids), Submission.repo_url.is_not(None)
    )
    for query in (bound, pushed):
        for invite_id, url in session.execute(query):
            if invite_id is not None and url:
                found.setdefault(invite_id, set()).add(url)
    return found


def blinding(
    session: Session, secret_key: str, invite_ids: Iterable[str | None], *, viewer: str = ""
) -> Blinding:
    """Resolve which of `invite_ids` are hidden now; `viewer` (a reviewer id) is shown the
    invites they created (callers pass it only for the invite's own page)."""
    blind = _hidden_invites(session, {i for i in invite_ids if i}, viewer)
    repositories = _repositories(session, [i.id for i in blind]) if blind else {}
    return Blinding({i.id: _identity(secret_key, i, repositories.get(i.id, set())) for i in blind})


def _hidden_invites(session: Session, ids: set[str], viewer: str) -> list[Invite]:
    """The blind invites among `ids` with no decision yet, less those `viewer` created."""
    if not ids:
        return []
    query = select(Invite).where(Invite.id.in_(ids), Invite.blind.is_(True))
    blind = [i for i in session.scalars(query) if not (viewer and i.created_by == viewer)]
    if not blind:
        return []
    decided = _decided(session, [i.id for i in blind])
    return [invite for invite in blind if invite.id not in decided]


def _owner_names(url: str) -> set[str]:
    """`owner` and `owner/name` of a repository URL (`https://host/owner/name.git`,
    `git@host:owner/name.git`); nothing when its path has fewer than two parts."""
    path = urlsplit(url).path if "://" in url else url.partition(":")[2] or url
    parts = [p for p in path.rstrip("/").removesuffix(".git").split("/") if p]
    if len(parts) < 2:
        return set()
    return {parts[-2], f"{parts[-2]}/{parts[-1]}"}


def _identity(secret_key: str, invite: Invite, repositories: set[str]) -> Identity:
    """The pseudonym and the strings to scrub (longest first: a URL is replaced whole before
    any shorter one inside it)."""
    owners = {name for url in repositories for name in _owner_names(url)}
    secrets = {*repositories, *owners, invite.email or "", invite.candidate or ""} - {""}
    ordered = tuple(sorted(secrets, key=len, reverse=True))
    return Identity(True, pseudonym(secret_key, invite.id), None, ordered)


def blind_views(
    session: Session, svc: Services, views: Sequence[SubmissionView]
) -> list[SubmissionView]:
    """`views` as any reviewer may see them (read in `session`)."""
    found = blinding(session, svc.settings.secret_key, [view.invite_id for view in views])
    return found.views(views)


def blind_view(session: Session, svc: Services, view: SubmissionView) -> SubmissionView:
    """`view` as any reviewer may see it (read in `session`)."""
    return blind_views(session, svc, [view])[0]


def invite_identity(
    session: Session, svc: Services, invite: Invite, reviewer_id: str = ""
) -> Identity:
    """The invite's identity for its own page: shown to its creator (`reviewer_id`)."""
    found = blinding(session, svc.settings.secret_key, [invite.id], viewer=reviewer_id)
    return found.of(invite)
