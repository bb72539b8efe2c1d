"""The Git history of a submission as JSON, for reviewers (`api.history_views`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.auth import CurrentReviewer
from api.history_views import history_view
from api.services import Svc
from api.views import load_submission

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["json api"])


@router.get("/submissions/{submission_id}/history", summary="Git history (reviewers)")
def submission_history(submission_id: str, svc: Svc, reviewer: CurrentReviewer) -> dict[str, Any]:
    """The commit timeline and its signals (never part of the score); authors hidden while
    the invite is blind."""
    del reviewer  # required for access only
    with svc.db.reading() as session:
        view = load_submission(session, submission_id, with_report=False)
        return history_view(session, svc, view)
