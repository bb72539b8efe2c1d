"""Read models of reviews for the pages, the JSON API and the exports.

`ReviewSummary` is what one reviewer may see of one submission's reviews: their own review's
state, how many reviews are submitted, the decision, and, only once their own review is
submitted, the rubric score, the recommendation counts and the disagreement flags (aggregates of
other reviewers' levels count as seeing them). `candidate_label` is the one place a candidate's
identity is rendered for the review pages and exports; the views it gets have passed through
`api.blinding` (a blind invite's candidate is already its pseudonym there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from api.services import Services
from api.views import SubmissionView
from runner.blobs import BlobError
from runner.challenge import Challenge, UnknownChallenge
from runner.intake import IntakeError, Snapshot
from runner.rubric import overall_with_rubric, recommendation_counts, rubric_score, why_flagged
from runner.store.models import DECISIONS, Decision, Review, ReviewRevision
from runner.store.reviews import (
    ReviewTarget,
    content_of,
    current_decisions,
    decision_history,
    my_reviews,
    submitted_reviews,
)

__all__ = [
    "ReviewSummary",
    "candidate_label",
    "decision_context",
    "decision_json",
    "invite_decision_context",
    "review_json",
    "review_summaries",
    "review_target",
    "revision_json",
    "source_snapshot",
]


def candidate_label(view: SubmissionView) -> str:
    """How the candidate of a submission is named on review pages and in exports."""
    return view.candidate


def _when(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


def source_snapshot(svc: Services, view: SubmissionView) -> Snapshot | None:
    """The submission's source files, or None when the blob is missing or unreadable."""
    try:
        return Snapshot.from_tar(svc.blobs.get(view.snapshot_digest))
    except (BlobError, IntakeError):
        return None


def _challenge(svc: Services, challenge_id: str) -> Challenge | None:
    try:
        return svc.challenges.get(challenge_id)
    except UnknownChallenge:
        return None


def review_target(svc: Services, view: SubmissionView) -> ReviewTarget:
    """What a review of the submission is checked against: its challenge's rubric (raises
    `UnknownChallenge` when the challenge is gone) and its source's line counts."""
    rubric = svc.challenges.get(view.challenge_id).manifest.rubric
    snapshot = source_snapshot(svc, view)
    files = snapshot.files if snapshot is not None else {}
    counts = {
        path: len(data.decode("utf-8", "replace").splitlines()) for path, data in files.items()
    }
    return ReviewTarget(view.id, rubric, counts)


def review_json(review: Review) -> dict[str, Any]:
    """A review as the JSON API gives it."""
    content = content_of(review)
    return {
        "id": review.id,
        "submission": review.submission_id,
        "reviewer": review.reviewer.email,
        "state": review.state,
        "revision": review.revision,
        "levels": {
            cid: {"score": entry.score, "note": entry.note}
            for cid, entry in content.levels.items()
        },
        "comments": [{"file": c.file, "line": c.line, "text": c.text} for c in content.comments],
        "summary": content.summary,
        "recommendation": content.recommendation,
        "updated_at": _when(review.updated_at),
        "submitted_at": _when(review.submitted_at),
    }


def revision_json(revision: ReviewRevision) -> dict[str, Any]:
    """One saved revision of a review."""
    content = content_of(revision)
    return {
        "number": revision.number,
        "state": revision.state,
        "levels": {cid: entry.score for cid, entry in content.levels.items()},
        "notes": {cid: entry.note for cid, entry in content.levels.items() if entry.note},
        "comments": len(content.comments),
        "summary": content.summary,
        "recommendation": content.recommendation,
        "saved_at": _when(revision.created_at),
    }


def decision_json(decision: Decision | None) -> dict[str, Any] | None:
    """A decision: value, reason, scope (submission or invite), who and when."""
    if decision is None:
        return None
    return {
        "value": decision.value,
        "reason": decision.reason,
        "scope": "invite" if decision.submission_id is None else "submission",
        "decided_by": decision.reviewer.email,
        "decided_at": _when(decision.created_at),
    }


@dataclass(frozen=True)
class ReviewSummary:
    """What one reviewer may see of one submission's reviews (see the module docstring)."""

    mine: str
    """The viewer's own review: "none", "draft" or "submitted"."""
    submitted: int
    """How many reviews of the submission are submitted (anyone's)."""
    decision: Decision | None
    visible: bool
    """Whether the viewer has submitted their own review, so may see the aggregates."""
    rubric_score: float | None = None
    overall: float | None = None
    """The automated score with the rubric folded in (only with `[weights] rubric`)."""
    recommendations: dict[str, int] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The summary for the JSON API and exports (aggregates are null while hidden)."""
        return {
            "my_review": self.mine,
            "reviews_submitted": self.submitted,
            "rubric_score": self.rubric_score,
            "overall_with_rubric": self.overall,
            "recommendations": self.recommendations if self.visible else None,
            "disagreement": self.flags if self.visible else None,
            "decision": decision_json(self.decision),
        }


def review_summaries(
    session: Session, svc: Services, views: Sequence[SubmissionView], reviewer_id: str
) -> dict[str, ReviewSummary]:
    """The `ReviewSummary` of each submission for the viewer `reviewer_id`."""
    ids = [view.id for view in views]
    reviews = submitted_reviews(session, ids)
    decisions = current_decisions(session, [(view.id, view.invite_id) for view in views])
    own = my_reviews(session, ids, reviewer_id)
    found = {}
    for view in views:
        mine = own.get(view.id)
        state = mine.state if mine is not None else "none"
        base = ReviewSummary(
            state, len(reviews[view.id]), decisions.get(view.id), state == "submitted"
        )
        challenge = _challenge(svc, view.challenge_id)
        found[view.id] = _with_aggregates(base, view, challenge, reviews[view.id])
    return found


def _with_aggregates(
    base: ReviewSummary,
    view: SubmissionView,
    challenge: Challenge | None,
    reviews: list[Review],
) -> ReviewSummary:
    if not base.visible or challenge is None:
        return base
    rubric = challenge.manifest.rubric
    contents = [(r.reviewer.email, content_of(r)) for r in reviews]
    levels = [(who, content.level_scores()) for who, content in contents]
    recommendations = [content.recommendation for _who, content in contents]
    score = rubric_score(rubric, [lv for _who, lv in levels])
    return ReviewSummary(
        base.mine,
        base.submitted,
        base.decision,
        True,
        rubric_score=score,
        overall=overall_with_rubric(view.score, score, challenge.manifest.weights),
        recommendations=recommendation_counts(recommendations),
        flags=why_flagged(rubric, levels, recommendations),
    )


def decision_context(svc: Services, view: SubmissionView) -> dict[str, Any]:
    """What a page shows of a submission's decisions: the history (newest first, the
    submission's own and its invite's) and the values a reviewer may choose."""
    with svc.db.reading() as session:
        history = [decision_json(d) for d in decision_history(session, view.id, view.invite_id)]
    return {"history": history, "choices": DECISIONS}


def invite_decision_context(svc: Services, invite_id: str) -> dict[str, Any]:
    """What the invite page shows of the decisions on the invite as a whole (newest first) and
    the values a reviewer may choose."""
    with svc.db.reading() as session:
        history = [decision_json(d) for d in decision_history(session, None, invite_id)]
    return {"history": history, "choices": DECISIONS}
