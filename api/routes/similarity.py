"""Similarity for reviewers: a submission's similar pairs (JSON), the side-by-side view of one
pair, and a challenge's highest pairs. Signals for a person to weigh; they change no score."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import CurrentReviewer, csrf_page
from api.highlight import TOKEN_CSS
from api.services import Svc
from api.similarity_views import challenge_pairs, side_by_side, similarity_json

__all__ = ["router"]

router = APIRouter(tags=["similarity"])


@router.get("/api/submissions/{submission_id}/similarity", summary="Similar submissions")
def similarity(submission_id: str, svc: Svc, reviewer: CurrentReviewer) -> dict[str, Any]:
    """The submission's similarity check and its pairs above the threshold, best first, each with
    its score, matched regions and whether it is the challenge's own reference or a variant."""
    del reviewer  # required for access only
    return similarity_json(svc, submission_id)


@router.get(
    "/reviewer/submissions/{submission_id}/similarity/{pair_id}",
    summary="Similar pair page",
    response_class=HTMLResponse,
)
def pair_page(
    request: Request, submission_id: str, pair_id: str, svc: Svc, reviewer: CurrentReviewer
) -> Response:
    """The matched regions of one similar pair, both files' lines side by side."""
    found = side_by_side(svc, submission_id, pair_id)
    context = {"reviewer": reviewer, "found": found, "token_css": TOKEN_CSS}
    return csrf_page(request, svc, "similarity_pair.html", context)


@router.get(
    "/reviewer/challenges/{challenge_id}/similarity",
    summary="Similarity of a challenge",
    response_class=HTMLResponse,
)
def challenge_page(
    request: Request, challenge_id: str, svc: Svc, reviewer: CurrentReviewer
) -> Response:
    """The challenge's most similar pairs of submissions (and matches with its reference)."""
    rows = challenge_pairs(svc, challenge_id)
    context = {
        "reviewer": reviewer,
        "challenge": svc.challenges.get(challenge_id),
        "rows": rows,
        "threshold": svc.settings.similarity_threshold,
    }
    return csrf_page(request, svc, "similarity.html", context)
