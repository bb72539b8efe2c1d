"""Candidate routes. The invite token in the URL is the candidate's only key: a wrong token, or a
submission made through another invite, is a 404 (nothing says it exists)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response

from api.feedback import candidate_view
from api.gitsubmit import candidate_git_submission, read_git_fields
from api.pages import markdown_html, render, wants_html
from api.services import Services, Svc
from api.uploads import read_upload
from api.views import list_submissions, load_submission
from runner.intake import IntakeLimits, snapshot_bytes
from runner.store import Invite
from runner.store.models import utcnow
from runner.store.records import NewSubmission, NotFound, add_submission, invite_for_token

__all__ = ["router"]

router = APIRouter(prefix="/i/{token}", tags=["candidate"])


def _invite(svc: Services, token: str) -> Invite:
    with svc.db.reading() as session:
        invite = invite_for_token(session, token)
    if invite is None:
        raise NotFound("no such invite")
    return invite


def _human_size(size: int) -> str:
    mib = size / (1024 * 1024)
    return f"{mib:.0f} MiB" if mib >= 1 else f"{size // 1024} KiB"


@router.get("", summary="Invite page: the brief and the upload form")
def invite_page(token: str, request: Request, svc: Svc) -> Response:
    """The challenge's brief (rendered markdown) and the upload form, with the size limit."""
    invite = _invite(svc, token)
    challenge = svc.challenges.get(invite.challenge_id)
    with svc.db.reading() as session:
        mine = list_submissions(session, invite_id=invite.id)
    context: dict[str, Any] = {
        "token": token,
        "invite": invite,
        "title": challenge.manifest.title,
        "brief": markdown_html(challenge.brief),
        "expired": invite.expires_at <= utcnow(),
        "remaining": max(0, invite.max_submissions - len(mine)),
        "limit": _human_size(svc.settings.max_upload_bytes),
        "submissions": mine,
    }
    return render(request, "invite.html", context)


@router.post("/submissions", status_code=202, summary="Submit an archive for grading")
async def submit(token: str, request: Request, svc: Svc) -> Response:
    """Upload a .zip/.tar/.tar.gz (form field `archive`); 202 with the status URL in Location."""
    invite = await run_in_threadpool(_invite, svc, token)
    svc.challenges.get(invite.challenge_id)
    if (git := await read_git_fields(request)) is not None:  # the Git form: `git_url`, `ref`
        return await candidate_git_submission(svc, request, token, invite, git)
    await run_in_threadpool(svc.queue.admit, invite.challenge_id)
    limit = svc.settings.max_upload_bytes
    upload = await read_upload(request, limit)
    snapshot = await run_in_threadpool(
        snapshot_bytes, upload.data, upload.filename, IntakeLimits(max_archive_bytes=limit)
    )
    new = NewSubmission(
        challenge_id=invite.challenge_id,
        snapshot=snapshot,
        filename=upload.filename,
        invite_id=invite.id,
    )
    submission_id, _run = await run_in_threadpool(add_submission, svc.db, svc.blobs, new)
    svc.enqueued()
    location = f"/i/{token}/submissions/{submission_id}"
    if wants_html(request):
        return RedirectResponse(location, status_code=303)
    body = {"id": submission_id, "state": "queued", "status_url": location}
    return JSONResponse(body, status_code=202, headers={"Location": location})


@router.get("/submissions/{submission_id}", summary="Status of a submission")
def submission_status(token: str, submission_id: str, request: Request, svc: Svc) -> Response:
    """State and, as the challenge's feedback policy allows, test outcomes and scores."""
    with svc.db.reading() as session:
        invite = invite_for_token(session, token)
        if invite is None:
            raise NotFound("no such invite")
        view = load_submission(session, submission_id, invite_id=invite.id)
    policy = svc.challenges.get(invite.challenge_id).manifest.feedback.policy
    data = candidate_view(view, policy)
    if not wants_html(request):
        return JSONResponse(data)
    context = {"token": token, "data": data, "policy": policy}
    return render(request, "status.html", context)
