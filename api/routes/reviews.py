"""The JSON API of reviews, calibration and decisions (bearer token, or session + CSRF header).

Independence: until the caller's own review of a submission is submitted, no answer here holds
another reviewer's review, level, comment or recommendation of it (`runner.store.reviews`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import CurrentReviewer
from api.blinding import blind_view, blind_views
from api.exports import review_export_json
from api.openapi import content, problems
from api.review_views import (
    decision_json,
    review_json,
    review_summaries,
    review_target,
    revision_json,
)
from api.services import Services, Svc
from api.views import SubmissionView, list_submissions, load_submission
from runner.rubric import spreads
from runner.store import Invite
from runner.store.models import DECISIONS
from runner.store.records import NotFound
from runner.store.reviews import (
    LevelEntry,
    LineComment,
    ReviewContent,
    ReviewsHidden,
    decision_history,
    edit_review,
    my_review,
    record_decision,
    reviews_seen,
    revisions,
    save_review,
    submit_review,
)

__all__ = ["ReviewBody", "router"]

router = APIRouter(prefix="/api", tags=["reviews"])

#: A review or decision the submission cannot take (`api.errors`: invalid_review, ...).
_INVALID = problems(403, 422)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class LevelBody(_Body):
    """A level on one criterion."""

    score: int
    note: str = ""


class CommentBody(_Body):
    """A comment on a line of a file of the submission."""

    file: str
    line: int
    text: str


class ReviewBody(_Body):
    """A review's content; `submit` submits it in the same request."""

    levels: dict[str, LevelBody] = Field(default_factory=dict)
    comments: list[CommentBody] = Field(default_factory=list)
    summary: str = ""
    recommendation: str | None = None
    submit: bool = False

    def content(self) -> ReviewContent:
        """The content to store."""
        return ReviewContent(
            levels={cid: LevelEntry(lv.score, lv.note) for cid, lv in self.levels.items()},
            comments=tuple(LineComment(c.file, c.line, c.text) for c in self.comments),
            summary=self.summary,
            recommendation=self.recommendation,
        )


class DecisionBody(_Body):
    """The team's decision: `advance`, `hold` or `reject`, with a reason."""

    value: str = Field(json_schema_extra={"enum": list(DECISIONS)})  # checked by the store
    reason: str


def _view(svc: Services, submission_id: str) -> SubmissionView:
    with svc.db.reading() as session:
        return blind_view(session, svc, load_submission(session, submission_id))


def _seen(svc: Services, submission_id: str, reviewer_id: str) -> dict[str, Any]:
    with svc.db.reading() as session:
        seen = reviews_seen(session, submission_id, reviewer_id)
        return {
            "mine": review_json(seen.mine) if seen.mine is not None else None,
            "others": [review_json(r) for r in seen.others] if seen.others is not None else [],
            "others_hidden": seen.others is None,
        }


@router.get("/submissions/{submission_id}/reviews", summary="Reviews of a submission")
def list_reviews(submission_id: str, svc: Svc, reviewer: CurrentReviewer) -> dict[str, Any]:
    """Your review, and the others' submitted reviews once yours is submitted."""
    _view(svc, submission_id)
    return _seen(svc, submission_id, reviewer.id)


@router.post(
    "/submissions/{submission_id}/reviews",
    status_code=201,
    summary="Save my review",
    responses=_INVALID,
)
def post_review(
    submission_id: str, body: ReviewBody, svc: Svc, reviewer: CurrentReviewer
) -> dict[str, Any]:
    """Create or replace your review (a draft, unless `submit` is true); each save is kept."""
    target = review_target(svc, _view(svc, submission_id))
    save_review(svc.db, target, reviewer.id, body.content(), submit=body.submit)
    return _mine(svc, submission_id, reviewer.id)


def _mine(svc: Services, submission_id: str, reviewer_id: str) -> dict[str, Any]:
    with svc.db.reading() as session:
        review = my_review(session, submission_id, reviewer_id)
        if review is None:
            raise NotFound("you have no review of this submission")
        return review_json(review)


@router.get("/submissions/{submission_id}/reviews/mine", summary="My review")
def get_mine(submission_id: str, svc: Svc, reviewer: CurrentReviewer) -> dict[str, Any]:
    """Your own review of the submission (draft or submitted)."""
    return _mine(svc, submission_id, reviewer.id)


@router.put(
    "/submissions/{submission_id}/reviews/mine", summary="Edit my review", responses=_INVALID
)
def put_mine(
    submission_id: str, body: ReviewBody, svc: Svc, reviewer: CurrentReviewer
) -> dict[str, Any]:
    """Save your review's new content; a submitted review stays submitted (history kept)."""
    target = review_target(svc, _view(svc, submission_id))
    save_review(svc.db, target, reviewer.id, body.content(), submit=body.submit)
    return _mine(svc, submission_id, reviewer.id)


@router.post(
    "/submissions/{submission_id}/reviews/mine/submit",
    summary="Submit my review",
    responses=_INVALID,
)
def submit_mine(submission_id: str, svc: Svc, reviewer: CurrentReviewer) -> dict[str, Any]:
    """Submit your draft: every criterion needs a level, and a recommendation is required."""
    submit_review(svc.db, review_target(svc, _view(svc, submission_id)), reviewer.id)
    return _mine(svc, submission_id, reviewer.id)


@router.put(
    "/submissions/{submission_id}/reviews/{review_id}",
    summary="Edit a review by id",
    responses=_INVALID,
)
def put_review(
    submission_id: str, review_id: str, body: ReviewBody, svc: Svc, reviewer: CurrentReviewer
) -> dict[str, Any]:
    """Edit a review by its id: only its author may (403 otherwise)."""
    target = review_target(svc, _view(svc, submission_id))
    edit_review(svc.db, target, review_id, reviewer.id, body.content())
    return _mine(svc, submission_id, reviewer.id)


@router.get(
    "/reviews/{review_id}/revisions", summary="A review's history", responses=problems(403)
)
def review_revisions(review_id: str, svc: Svc, reviewer: CurrentReviewer) -> list[dict[str, Any]]:
    """Every saved revision of your review; of another's, its submitted ones once yours is."""
    with svc.db.reading() as session:
        return [revision_json(r) for r in revisions(session, review_id, reviewer.id)]


@router.get(
    "/submissions/{submission_id}/calibration",
    summary="Calibration of the reviews",
    responses=problems(403),
)
def calibration(submission_id: str, svc: Svc, reviewer: CurrentReviewer) -> dict[str, Any]:
    """Per criterion each reviewer's level and the spread (after your own review is submitted)."""
    view = _view(svc, submission_id)
    rubric = svc.challenges.get(view.challenge_id).manifest.rubric
    with svc.db.reading() as session:
        seen = reviews_seen(session, submission_id, reviewer.id)
        if seen.mine is None or seen.others is None:
            raise ReviewsHidden("submit your own review of this submission first")
        reviews = [review_json(r) for r in (seen.mine, *seen.others)]
        summary = review_summaries(session, svc, [view], reviewer.id)[view.id]
    levels = [(r["reviewer"], {c: lv["score"] for c, lv in r["levels"].items()}) for r in reviews]
    return {
        "criteria": [
            {
                "id": spread.criterion.id,
                "title": spread.criterion.title,
                "levels": dict(spread.levels),
                "spread": spread.steps,
                "flagged": spread.flagged,
            }
            for spread in spreads(rubric, levels)
        ],
        **summary.as_json(),
        "recommended_by": {r["reviewer"]: r["recommendation"] for r in reviews},
    }


@router.post(
    "/submissions/{submission_id}/decision",
    status_code=201,
    summary="Decide on a submission",
    responses=_INVALID,
)
def decide_submission(
    submission_id: str, body: DecisionBody, svc: Svc, reviewer: CurrentReviewer
) -> dict[str, Any] | None:
    """Record the team's decision on the submission (`advance`, `hold`, `reject`) and why."""
    decision = record_decision(
        svc.db,
        reviewer_id=reviewer.id,
        value=body.value,
        reason=body.reason,
        submission_id=submission_id,
    )
    return decision_json(decision)


@router.post(
    "/invites/{invite_id}/decision",
    status_code=201,
    summary="Decide on an invite",
    responses=_INVALID,
)
def decide_invite(
    invite_id: str, body: DecisionBody, svc: Svc, reviewer: CurrentReviewer
) -> dict[str, Any] | None:
    """Record the team's decision on the invite as a whole (all its submissions)."""
    decision = record_decision(
        svc.db, reviewer_id=reviewer.id, value=body.value, reason=body.reason, invite_id=invite_id
    )
    return decision_json(decision)


@router.get("/submissions/{submission_id}/decision", summary="Decision on a submission")
def get_decision(submission_id: str, svc: Svc, reviewer: CurrentReviewer) -> dict[str, Any]:
    """The current decision (the submission's own, else its invite's) and every earlier one."""
    del reviewer
    view = _view(svc, submission_id)
    with svc.db.reading() as session:
        history = [decision_json(d) for d in decision_history(session, view.id, view.invite_id)]
    return {"current": history[0] if history else None, "history": history}


@router.get("/invites/{invite_id}/decision", summary="Decision on an invite")
def get_invite_decision(invite_id: str, svc: Svc, reviewer: CurrentReviewer) -> dict[str, Any]:
    """The decisions recorded on the invite as a whole, newest first."""
    del reviewer
    with svc.db.reading() as session:
        if session.get(Invite, invite_id) is None:
            raise NotFound("no such invite")
        found = [decision_json(d) for d in decision_history(session, None, invite_id)]
    return {"current": found[0] if found else None, "history": found}


@router.get("/challenges/{challenge_id}/rubric", summary="A challenge's rubric")
def rubric(challenge_id: str, svc: Svc, reviewer: CurrentReviewer) -> list[dict[str, Any]]:
    """The criteria reviewers score by hand, with their levels and anchors."""
    del reviewer
    return [c.model_dump() for c in svc.challenges.get(challenge_id).manifest.rubric]


@router.get(
    "/challenges/{challenge_id}/submissions.json",
    summary="Challenge export (JSON)",
    response_class=Response,
    responses={
        200: content(
            "One entry per submission: scores, review summary, decision.",
            "application/json",
            schema={"type": "array", "items": {"type": "object"}},
        )
    },
)
def challenge_json(challenge_id: str, svc: Svc, reviewer: CurrentReviewer) -> Response:
    """Every submission of the challenge: scores, rubric score, recommendations and decision."""
    svc.challenges.get(challenge_id)
    with svc.db.reading() as session:
        views = list_submissions(session, challenge=challenge_id, sort="-score")
        views = blind_views(session, svc, views)
        summaries = review_summaries(session, svc, views, reviewer.id)
    return Response(review_export_json(views, summaries), media_type="application/json")
