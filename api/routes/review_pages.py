"""Reviewer pages of reviews: the rubric form, line comments, calibration and decisions.

Every form posts with the session's CSRF token (checked by `current_reviewer`); a refused form
answers with the error page of `api.errors` and stores nothing. The line-comment forms are also
on the changes page: with `return_to=changes` (and `return_file`, `return_page`) they come back
there, at the line commented on, instead of to the review page.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from api.auth import CurrentReviewer, csrf_page
from api.blinding import blind_view
from api.change_views import changes_url, line_anchor
from api.openapi import form_fields, problems, redirect, request_body
from api.review_views import (
    candidate_label,
    review_summaries,
    review_target,
    source_snapshot,
)
from api.services import Services, Svc
from api.views import SubmissionView, load_submission
from runner.rubric import spreads
from runner.store.models import DECISIONS, RECOMMENDATIONS, Reviewer
from runner.store.reviews import (
    InvalidReview,
    LevelEntry,
    LineComment,
    ReviewContent,
    ReviewsHidden,
    content_of,
    my_review,
    record_decision,
    reviews_seen,
    save_review,
    without_comment,
)

__all__ = ["router"]

router = APIRouter(prefix="/reviewer", tags=["reviewer pages"])
#: The highest diff page the changes page takes (`api.routes.changes.Page`).
_MAX_PAGE = 10_000
_MAX_PATH = 1024
_NUMBER = re.compile(r"[0-9]{1,9}")
_FORM = "application/x-www-form-urlencoded"
_BACK = redirect("Saved: back to the review page (or the changes page: `return_to`).")
_RETURN = ("return_to", "return_file", "return_page", "csrf_token")


def _form(*names: str, more: str = "") -> dict[str, Any]:
    choices = {"value": DECISIONS, "recommendation": ("", *RECOMMENDATIONS)}  # "": none yet
    fields = form_fields(*names, choices=choices)
    return request_body(f"The page's form.{more}", {_FORM: fields})


def _view(svc: Services, submission_id: str) -> SubmissionView:
    with svc.db.reading() as session:
        return blind_view(session, svc, load_submission(session, submission_id))


def _current(svc: Services, submission_id: str, reviewer_id: str) -> tuple[ReviewContent, str]:
    """The reviewer's review content and state ("none" before the first save)."""
    with svc.db.reading() as session:
        mine = my_review(session, submission_id, reviewer_id)
    return (content_of(mine), mine.state) if mine is not None else (ReviewContent(), "none")


def _back(submission_id: str, page: str = "review") -> Response:
    return RedirectResponse(f"/reviewer/submissions/{submission_id}/{page}", status_code=303)


@router.get(
    "/submissions/{submission_id}/review", summary="Review page", response_class=HTMLResponse
)
def review_page(
    request: Request, submission_id: str, svc: Svc, reviewer: CurrentReviewer
) -> Response:
    """The rubric with its anchors, your levels, notes, line comments, summary, recommendation."""
    view = _view(svc, submission_id)
    challenge = svc.challenges.get(view.challenge_id)
    with svc.db.reading() as session:
        seen = reviews_seen(session, submission_id, reviewer.id)
        summary = review_summaries(session, svc, [view], reviewer.id)[view.id]
        others = [(r.reviewer.email, content_of(r)) for r in seen.others or []]
    snapshot = source_snapshot(svc, view)
    context: dict[str, Any] = {
        "reviewer": reviewer,
        "view": view,
        "who": candidate_label(view),
        "rubric": challenge.manifest.rubric,
        "mine": content_of(seen.mine) if seen.mine is not None else ReviewContent(),
        "state": seen.mine.state if seen.mine is not None else "none",
        "revision": seen.mine.revision if seen.mine is not None else 0,
        "others": others,
        "hidden": seen.others is None,
        "summary": summary,
        "recommendations": RECOMMENDATIONS,
        "files": sorted(snapshot.files) if snapshot is not None else [],
    }
    return csrf_page(request, svc, "review.html", context)


def _number(raw: str) -> int | None:
    """`raw` as a small non-negative integer, or None (`str.isdigit` alone also accepts "²" and
    digit strings `int()` refuses)."""
    return int(raw) if _NUMBER.fullmatch(raw) else None


def _levels(form: FormData, view_rubric: list[str]) -> dict[str, LevelEntry]:
    levels = {}
    for cid in view_rubric:
        raw = str(form.get(f"level.{cid}", "")).strip()
        note = str(form.get(f"note.{cid}", ""))
        if not raw:
            if note.strip():  # a note is kept with its level only: refuse rather than drop it
                raise InvalidReview(f"levels.{cid}", "pick a level to keep this note")
            continue
        try:
            score = int(raw)
        except ValueError:
            raise InvalidReview(f"levels.{cid}", f"{raw!r} is not a level") from None
        levels[cid] = LevelEntry(score, note)
    return levels


@router.post(
    "/submissions/{submission_id}/review",
    summary="Save or submit my review (form)",
    status_code=303,
    response_class=RedirectResponse,
    openapi_extra=_form(
        "summary",
        "recommendation",
        "action",
        "csrf_token",
        more=" Per rubric criterion also `level.<id>` and `note.<id>`.",
    ),
    responses={303: _BACK, **problems(422)},
)
async def review_form(
    request: Request, submission_id: str, svc: Svc, reviewer: CurrentReviewer
) -> Response:
    """Save the form as a draft (`action=save`) or submit it (`action=submit`)."""
    form = await request.form()
    view = await run_in_threadpool(_view, svc, submission_id)
    target = await run_in_threadpool(review_target, svc, view)
    current, _state = await run_in_threadpool(_current, svc, submission_id, reviewer.id)
    recommendation = str(form.get("recommendation", "")) or None
    content = dataclasses.replace(
        current,
        levels=_levels(form, [c.id for c in target.rubric]),
        summary=str(form.get("summary", "")),
        recommendation=recommendation,
    )
    submit = form.get("action") == "submit"
    await run_in_threadpool(
        lambda: save_review(svc.db, target, reviewer.id, content, submit=submit)
    )
    return _back(submission_id)


async def _edit_comments(
    request: Request, svc: Services, submission_id: str, reviewer: Reviewer, *, add: bool
) -> Response:
    form = await request.form()
    view = await run_in_threadpool(_view, svc, submission_id)
    target = await run_in_threadpool(review_target, svc, view)
    current, _state = await run_in_threadpool(_current, svc, submission_id, reviewer.id)
    if add:
        raw_line = str(form.get("line", "")).strip()
        line = _number(raw_line)
        if line is None:
            raise InvalidReview("comments.line", f"{raw_line[:20]!r} is not a line number")
        touched = LineComment(str(form.get("file", "")), line, str(form.get("text", "")))
        content = dataclasses.replace(current, comments=(*current.comments, touched))
    else:  # by the comment's id: a stale page never removes another comment
        content, touched = without_comment(current, str(form.get("comment", "")))
    await run_in_threadpool(lambda: save_review(svc.db, target, reviewer.id, content))
    if form.get("return_to") == "changes":
        return _back_to_changes(submission_id, form, touched)
    return _back(submission_id)


def _back_to_changes(submission_id: str, form: FormData, at: LineComment) -> Response:
    """To the changes page the form was on (a path of this service only), at the line."""
    raw_file = form.get("return_file")
    file = raw_file if isinstance(raw_file, str) and 0 < len(raw_file) <= _MAX_PATH else None
    number = _number(str(form.get("return_page", "")))
    page = number if number is not None and 1 <= number <= _MAX_PAGE else 1
    url = changes_url(submission_id, file, page, line_anchor(at.file, at.line))
    return RedirectResponse(url, status_code=303)


@router.post(
    "/submissions/{submission_id}/review/comments",
    summary="Comment on a line (form)",
    status_code=303,
    response_class=RedirectResponse,
    openapi_extra=_form("file", "line", "text", *_RETURN),
    responses={303: _BACK, **problems(422)},
)
async def add_comment(
    request: Request, submission_id: str, svc: Svc, reviewer: CurrentReviewer
) -> Response:
    """Add a comment on `file` at `line` to your review (saved with the review)."""
    return await _edit_comments(request, svc, submission_id, reviewer, add=True)


@router.post(
    "/submissions/{submission_id}/review/comments/delete",
    summary="Remove a comment (form)",
    status_code=303,
    response_class=RedirectResponse,
    openapi_extra=_form("index", *_RETURN),
    responses={303: _BACK, **problems(422)},
)
async def delete_comment(
    request: Request, submission_id: str, svc: Svc, reviewer: CurrentReviewer
) -> Response:
    """Remove the comment whose id is `comment` from your review (409 if it is gone)."""
    return await _edit_comments(request, svc, submission_id, reviewer, add=False)


@router.get(
    "/submissions/{submission_id}/calibration",
    summary="Calibration page",
    response_class=HTMLResponse,
    responses=problems(403),
)
def calibration_page(
    request: Request, submission_id: str, svc: Svc, reviewer: CurrentReviewer
) -> Response:
    """Per criterion, each reviewer's level and the spread (once your review is submitted)."""
    view = _view(svc, submission_id)
    rubric = svc.challenges.get(view.challenge_id).manifest.rubric
    with svc.db.reading() as session:
        seen = reviews_seen(session, submission_id, reviewer.id)
        if seen.mine is None or seen.others is None:
            raise ReviewsHidden("submit your own review of this submission first")
        reviews = [(r.reviewer.email, content_of(r)) for r in (seen.mine, *seen.others)]
        summary = review_summaries(session, svc, [view], reviewer.id)[view.id]
    levels = [(who, content.level_scores()) for who, content in reviews]
    context: dict[str, Any] = {
        "reviewer": reviewer,
        "view": view,
        "who": candidate_label(view),
        "reviewers": [who for who, _content in reviews],
        "reviews": reviews,
        "spreads": spreads(rubric, levels),
        "summary": summary,
    }
    return csrf_page(request, svc, "calibration.html", context)


@router.post(
    "/submissions/{submission_id}/decision",
    summary="Record a decision (form)",
    status_code=303,
    response_class=RedirectResponse,
    openapi_extra=_form("value", "reason", "scope", "csrf_token"),
    responses={303: redirect("Recorded: back to the report page."), **problems(422)},
)
async def decision_form(
    request: Request, submission_id: str, svc: Svc, reviewer: CurrentReviewer
) -> Response:
    """Record the team's decision on the submission, or (`scope=invite`) on its invite."""
    form = await request.form()
    view = await run_in_threadpool(_view, svc, submission_id)
    on_invite = form.get("scope") == "invite" and view.invite_id is not None
    await run_in_threadpool(
        lambda: record_decision(
            svc.db,
            reviewer_id=reviewer.id,
            value=str(form.get("value", "")),
            reason=str(form.get("reason", "")),
            submission_id=None if on_invite else submission_id,
            invite_id=view.invite_id if on_invite else None,
        )
    )
    return RedirectResponse(f"/reviewer/submissions/{submission_id}", status_code=303)


@router.post(
    "/invites/{invite_id}/decision",
    summary="Record a decision on an invite (form)",
    status_code=303,
    response_class=RedirectResponse,
    openapi_extra=_form("value", "reason", "csrf_token"),
    responses={303: redirect("Recorded: back to the invite page."), **problems(422)},
)
async def invite_decision_form(
    request: Request, invite_id: str, svc: Svc, reviewer: CurrentReviewer
) -> Response:
    """Record the team's decision on the invite as a whole (all its submissions)."""
    form = await request.form()
    await run_in_threadpool(
        lambda: record_decision(
            svc.db,
            reviewer_id=reviewer.id,
            value=str(form.get("value", "")),
            reason=str(form.get("reason", "")),
            invite_id=invite_id,
        )
    )
    return RedirectResponse(f"/reviewer/invites/{invite_id}", status_code=303)
