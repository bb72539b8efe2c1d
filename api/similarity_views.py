"""What reviewers read of similarity: a submission's similar pairs, the side-by-side view of one
pair's matched regions, and a challenge's highest pairs.

A pair is stored once (`runner.store.similarity.SimilarityPair`, by the submission whose check
found it); here it is turned to face the submission being read (`Similar.regions` name this
submission's files first). The other candidate is named through `api.blinding`, so a blind
invite shows its pseudonym; the reference and the variants are named as such and flagged as a
possible leaked reference solution. Nothing here reaches a candidate: every route that uses it
requires a reviewer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api.blinding import blind_view, blind_views
from api.highlight import highlight_lines
from api.services import Services
from api.views import SubmissionView, load_submission
from runner.blobs import BlobError
from runner.challenge import ChallengeError
from runner.intake import IntakeError, Snapshot
from runner.similarity.fingerprints import Region, merge_ranges
from runner.similarity.store import pack_solutions
from runner.store.records import NotFound
from runner.store.similarity import SimilarityCheck, SimilarityPair

__all__ = [
    "SideBySide",
    "Similar",
    "challenge_pairs",
    "report_similarity",
    "side_by_side",
    "similar_of",
    "similarity_json",
]

#: Lines shown around a matched region, and at most per side of one region.
_CONTEXT = 2
_MAX_LINES = 200
#: Regions shown side by side on one page (the rest are counted: "and N more").
_MAX_REGIONS = 50
_CHALLENGE_PAIRS = 100


@dataclass(frozen=True)
class Similar:
    """One similar pair as seen from one submission."""

    pair_id: str
    kind: str
    """"submission", "reference" or "variant"."""
    other_id: str | None
    other_label: str
    """The other candidate (a pseudonym in blind mode), or the pack's solution by name."""
    other_name: str
    """The pack solution's name ("reference" or the variant's folder); "" for a submission."""
    score: float
    matched: int
    regions: tuple[Region, ...]
    """This submission's file and lines first, the other's second."""

    @property
    def leaked_reference(self) -> bool:
        """A match with the challenge's own reference or a variant of it."""
        return self.kind != "submission"

    def as_json(self) -> dict[str, Any]:
        """The pair for the JSON API."""
        return {
            "pair": self.pair_id,
            "kind": self.kind,
            "other_submission": self.other_id,
            "other": self.other_label,
            "score": round(self.score, 4),
            "matched_fingerprints": self.matched,
            "matched_regions": len(self.regions),
            "possible_leaked_reference": self.leaked_reference,
            "regions": [region.as_json() for region in self.regions],
        }


def _regions(pair: SimilarityPair, *, flipped: bool) -> tuple[Region, ...]:
    found = []
    for item in json.loads(pair.regions):
        ours = (item["file"], *item["lines"])
        theirs = (item["other_file"], *item["other_lines"])
        if flipped:
            ours, theirs = theirs, ours
        found.append(Region(*ours, *theirs))
    return tuple(found)


def _pack_label(pair: SimilarityPair) -> str:
    return (
        "the reference solution"
        if pair.other_kind == "reference"
        else f"variant {pair.other_name}"
    )


def _labels(session: Session, svc: Services, ids: set[str]) -> dict[str, str]:
    """Each submission's candidate as the reviewer may see it (pseudonym while blind)."""
    views = [load_submission(session, i, with_report=False) for i in sorted(ids)]
    return {view.id: view.candidate for view in blind_views(session, svc, views)}


def _facing(pair: SimilarityPair, submission_id: str, labels: dict[str, str]) -> Similar:
    flipped = pair.other_submission_id == submission_id
    other = pair.submission_id if flipped else pair.other_submission_id
    label = labels.get(other, other) if other is not None else _pack_label(pair)
    return Similar(
        pair.id,
        pair.other_kind,
        other,
        label,
        pair.other_name,
        pair.score,
        pair.matched,
        _regions(pair, flipped=flipped),
    )


def _pairs_of(session: Session, submission_id: str) -> list[SimilarityPair]:
    query = select(SimilarityPair).where(
        or_(
            SimilarityPair.submission_id == submission_id,
            SimilarityPair.other_submission_id == submission_id,
        )
    )
    return list(session.scalars(query.order_by(SimilarityPair.score.desc())))


def similar_of(
    session: Session, svc: Services, submission_id: str
) -> tuple[SimilarityCheck | None, list[Similar]]:
    """The submission's similarity check (None before one ran) and its pairs, best first."""
    check = session.get(SimilarityCheck, submission_id)
    pairs = _pairs_of(session, submission_id)
    others = {p.submission_id for p in pairs} | {p.other_submission_id or "" for p in pairs}
    labels = _labels(session, svc, others - {submission_id, ""})
    return check, [_facing(pair, submission_id, labels) for pair in pairs]


def report_similarity(svc: Services, submission_id: str) -> dict[str, Any]:
    """The report page's similarity section: `check`, `pairs`, `threshold`."""
    with svc.db.reading() as session:
        check, pairs = similar_of(session, svc, submission_id)
    return {"check": check, "pairs": pairs, "threshold": svc.settings.similarity_threshold}


def similarity_json(svc: Services, submission_id: str) -> dict[str, Any]:
    """`GET /api/submissions/{id}/similarity`: the check and the pairs."""
    with svc.db.reading() as session:
        load_submission(session, submission_id, with_report=False)  # 404 if there is none
        check, pairs = similar_of(session, svc, submission_id)
    return {
        "submission": submission_id,
        "check": None
        if check is None
        else {
            "state": check.state,
            "fingerprints": check.fingerprints,
            "error": check.error,
            "checked_at": check.checked_at.isoformat(),
            "challenge_version": check.version_hash,
        },
        "threshold": svc.settings.similarity_threshold,
        "pairs": [pair.as_json() for pair in pairs],
    }


@dataclass(frozen=True)
class Side:
    """One side of a matched region: file, its lines shown (number, html, matched)."""

    path: str
    lines: list[tuple[int, Markup, bool]]


@dataclass(frozen=True)
class SideBySide:
    """A pair's regions, both files' lines next to each other."""

    view: SubmissionView
    similar: Similar
    regions: list[tuple[Region, Side, Side]]
    more: int = 0
    """Regions of the pair not shown (past `_MAX_REGIONS`)."""


def _snapshot(svc: Services, digest: str) -> Snapshot | None:
    try:
        return Snapshot.from_tar(svc.blobs.get(digest))
    except (BlobError, IntakeError):
        return None


def _other_files(
    session: Session, svc: Services, view: SubmissionView, similar: Similar
) -> dict[str, bytes]:
    if similar.other_id is not None:
        other = load_submission(session, similar.other_id, with_report=False)
        snapshot = _snapshot(svc, other.snapshot_digest)
        return dict(snapshot.files) if snapshot is not None else {}
    try:
        solutions = pack_solutions(svc.challenges.get(view.challenge_id))
    except ChallengeError:
        return {}
    return solutions.get(similar.other_name, ("", {}))[1]


class _Lines:
    """Files decoded and split into lines once each, however many regions they have."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self._files = files
        self._lines: dict[str, list[str]] = {}

    def of(self, path: str) -> list[str]:
        found = self._lines.get(path)
        if found is None:
            found = self._files.get(path, b"").decode("utf-8", "replace").split("\n")
            self._lines[path] = found
        return found


def _side(files: _Lines, path: str, first: int, last: int) -> Side:
    lines = files.of(path)
    start = max(1, first - _CONTEXT)
    end = min(len(lines), last + _CONTEXT, start + _MAX_LINES - 1)
    html = highlight_lines(path, lines[start - 1 : end])
    shown = [(n, html[n - start], first <= n <= last) for n in range(start, end + 1)]
    return Side(path, shown)


def side_by_side(svc: Services, submission_id: str, pair_id: str) -> SideBySide:
    """The matched regions of one pair of `submission_id`; `NotFound` if it is not one."""
    with svc.db.reading() as session:
        view = blind_view(session, svc, load_submission(session, submission_id, with_report=False))
        pair = session.get(SimilarityPair, pair_id)
        if pair is None or submission_id not in (pair.submission_id, pair.other_submission_id):
            raise NotFound("no such similar pair of this submission")
        other = {pair.submission_id, pair.other_submission_id or ""} - {submission_id, ""}
        similar = _facing(pair, submission_id, _labels(session, svc, other))
        theirs = _other_files(session, svc, view, similar)
    snapshot = _snapshot(svc, view.snapshot_digest)
    ours = _Lines(dict(snapshot.files) if snapshot is not None else {})
    their_lines = _Lines(theirs)
    regions = [
        (
            region,
            _side(ours, region.path, region.first, region.last),
            _side(their_lines, region.other_path, region.other_first, region.other_last),
        )
        for region in similar.regions[:_MAX_REGIONS]
    ]
    return SideBySide(view, similar, regions, max(0, len(similar.regions) - _MAX_REGIONS))


@dataclass(frozen=True)
class ChallengePair:
    """A row of the challenge's similarity page."""

    pair_id: str
    submission: SubmissionView
    other_id: str | None
    other_label: str
    kind: str
    score: float
    regions: int
    lines: int
    """Matched lines on the first submission's side (regions merged per file)."""


def _matched_lines(regions: tuple[Region, ...]) -> int:
    by_file: dict[str, list[tuple[int, int]]] = {}
    for region in regions:
        by_file.setdefault(region.path, []).append((region.first, region.last))
    return sum(b - a + 1 for ranges in by_file.values() for a, b in merge_ranges(ranges))


def challenge_pairs(svc: Services, challenge_id: str) -> list[ChallengePair]:
    """The challenge's highest pairs, best first (at most `_CHALLENGE_PAIRS`)."""
    svc.challenges.get(challenge_id)  # UnknownChallenge (404) for an unknown id
    with svc.db.reading() as session:
        query = (
            select(SimilarityPair)
            .where(SimilarityPair.challenge_id == challenge_id)
            .order_by(SimilarityPair.score.desc(), SimilarityPair.created_at)
            .limit(_CHALLENGE_PAIRS)
        )
        pairs = list(session.scalars(query))
        ids = {p.submission_id for p in pairs} | {p.other_submission_id or "" for p in pairs}
        views = blind_views(
            session,
            svc,
            [load_submission(session, i, with_report=False) for i in sorted(ids - {""})],
        )
    by_id = {view.id: view for view in views}
    labels = {view.id: view.candidate for view in views}
    rows = []
    for pair in pairs:
        similar = _facing(pair, pair.submission_id, labels)
        rows.append(
            ChallengePair(
                pair.id,
                by_id[pair.submission_id],
                similar.other_id,
                similar.other_label,
                pair.other_kind,
                pair.score,
                len(similar.regions),
                _matched_lines(similar.regions),
            )
        )
    return rows
