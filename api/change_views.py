"""A submission's changes against its starter for the pages and the JSON API, and the line
comments a reviewer may see on them.

`compare_submission` diffs on each call (nothing is cached). `finding_origins` is the report's
"N introduced, M inherited" per category for the report page and `GET /api/submissions/{id}`:
computed beside the stored report, never written into it. `visible_comments` applies the
independence rule of `api.review_views`: a reviewer's own comments always, the others' only once
their own review is submitted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from api.review_views import source_snapshot
from api.services import Services
from api.views import SubmissionView
from runner.challenge import UnknownChallenge
from runner.changes import ORIGINS, Changes, compare_to_starter
from runner.intake import Snapshot
from runner.store.reviews import LineComment, content_of, reviews_seen

__all__ = [
    "ShownComment",
    "VisibleComments",
    "changes_url",
    "compare_submission",
    "finding_origins",
    "line_anchor",
    "visible_comments",
]


def compare_submission(svc: Services, view: SubmissionView) -> Changes:
    """The submission against its challenge's starter (raises `UnknownChallenge`, a blob error
    or an intake error when the challenge or the snapshot is gone)."""
    challenge = svc.challenges.get(view.challenge_id)
    snapshot = Snapshot.from_tar(svc.blobs.get(view.snapshot_digest))
    return compare_to_starter(snapshot, challenge, view.report())


def finding_origins(svc: Services, view: SubmissionView) -> dict[str, dict[str, int]] | None:
    """Per category of the report, how many findings have each origin (`introduced`,
    `inherited`, ...); None without a report, or when the starter or source cannot be read."""
    try:
        report = view.report()
    except ValueError:  # a stored report this version cannot read (ReportSchemaError, bad JSON)
        return None
    if report is None:
        return None
    snapshot = source_snapshot(svc, view)
    if snapshot is None:
        return None
    try:
        challenge = svc.challenges.get(view.challenge_id)
    except UnknownChallenge:
        return None
    counts = compare_to_starter(snapshot, challenge, report).categories()
    return {
        name: {origin: counts.get(name, {}).get(origin, 0) for origin in ORIGINS}
        for name in report.categories
    }


def line_anchor(path: str, line: int) -> str:
    """The HTML id of a submission line in the changes page (unique across files)."""
    digest = hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    return f"line-{digest}-{line}"


def changes_url(
    submission_id: str, file: str | None = None, page: int = 1, anchor: str | None = None
) -> str:
    """The changes page of a submission (one file's page when `file` is given)."""
    query = f"?{urlencode({'file': file, 'page': page})}" if file is not None else ""
    fragment = f"#{anchor}" if anchor else ""
    return f"/reviewer/submissions/{submission_id}/changes{query}{fragment}"


@dataclass(frozen=True)
class ShownComment:
    """A line comment as the changes page shows it."""

    reviewer: str
    text: str
    mine: bool
    id: str | None
    """Its id in the viewer's own review (for the remove form); None for another's."""


@dataclass(frozen=True)
class VisibleComments:
    """The comments one reviewer may see, keyed by (file, line), and whether others' are
    hidden because the reviewer's own review is not submitted yet."""

    at: dict[tuple[str, int], list[ShownComment]]
    others_hidden: bool


def _add(
    found: dict[tuple[str, int], list[ShownComment]],
    who: str,
    comments: tuple[LineComment, ...],
    *,
    mine: bool,
) -> None:
    for comment in comments:
        shown = ShownComment(who, comment.text, mine, comment.id if mine else None)
        found.setdefault((comment.file, comment.line), []).append(shown)


def visible_comments(session: Session, submission_id: str, reviewer_id: str) -> VisibleComments:
    """The viewer's own comments, and the others' submitted ones once the viewer's is."""
    seen = reviews_seen(session, submission_id, reviewer_id)
    found: dict[tuple[str, int], list[ShownComment]] = {}
    if seen.mine is not None:
        _add(found, seen.mine.reviewer.email, content_of(seen.mine).comments, mine=True)
    for other in seen.others or []:
        _add(found, other.reviewer.email, content_of(other).comments, mine=False)
    return VisibleComments(found, seen.others is None)
