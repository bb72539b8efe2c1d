"""Candidate routes. The invite token in the URL is the candidate's only key: a wrong token, or a
submission made through another invite, is a 404 (nothing says it exists).

The starter (`starter.zip`, `starter.tar.gz`) is the one-commit repository of the starter of the
invite's challenge version (`runner.starter`); an expired invite answers 410, a timed one
`409 not_started` until the candidate presses Start. `POST start` starts the clock once (a
second press moves nothing); it needs the page's CSRF token, so no other site can start it, and
a GET never does (link prefetchers and mail scanners follow links)."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from api.auth import check_csrf, csrf_page
from api.feedback import candidate_view
from api.gitsubmit import candidate_git_submission, read_git_fields
from api.journey import ci_examples, clock_context, service_base
from api.openapi import CSRF_FORM, HTML, content, problems, redirect, upload_body
from api.pages import markdown_html, render, wants_html
from api.services import Services, Svc
from api.uploads import check_open, client_address, read_upload
from api.views import candidate_submission, list_submissions, queue_position
from runner.intake import IntakeLimits, Snapshot, snapshot_bytes
from runner.starter import StarterRepo, build_starter, remember_starter, starter_for
from runner.store import Invite
from runner.store.models import utcnow
from runner.store.records import (
    InviteExpired,
    NewSubmission,
    NotFound,
    NotStarted,
    add_submission,
    invite_for_token,
    start_clock,
)
from runner.store.secrets import token_digest

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


@router.get(
    "",
    summary="Invite page: the brief and the upload form",
    response_class=HTMLResponse,
    responses=problems(404),
)
def invite_page(token: str, request: Request, svc: Svc) -> Response:
    """The challenge's brief (rendered markdown) and the upload form, with the size limit."""
    invite = _invite(svc, token)
    challenge = svc.challenges.get(invite.challenge_id)
    with svc.db.reading() as session:
        mine = list_submissions(session, invite_id=invite.id)
    base = service_base(svc)
    context: dict[str, Any] = {
        "token": token,
        "invite": invite,
        "title": challenge.manifest.title,
        "brief": markdown_html(challenge.brief),
        "expired": invite.expires_at <= utcnow(),
        "remaining": max(0, invite.max_submissions - len(mine)),
        "limit": _human_size(svc.settings.max_upload_bytes),
        "submissions": mine,
        "clock": clock_context(invite),
        "challenge_id": challenge.id,
        "base": base,
        "link": f"{base}/i/{token}",
        "ci": ci_examples(base),
    }
    return csrf_page(request, svc, "invite.html", context)


@router.post(
    "/start",
    summary="Start the clock of a timed invite",
    openapi_extra=CSRF_FORM,
    responses={
        303: redirect("A browser's form: back to the invite page."),
        **problems(403, 410, s403="`csrf`: the page's CSRF token is missing or wrong."),
    },
)
async def start(token: str, request: Request, svc: Svc) -> Response:
    """Start the clock now (once: pressing Start again moves nothing); needs the CSRF token."""
    await check_csrf(request, svc)
    invite = await run_in_threadpool(_invite, svc, token)
    started = await run_in_threadpool(start_clock, svc.db, invite.id)
    if wants_html(request):
        return RedirectResponse(f"/i/{token}", status_code=303)
    clock = clock_context(started)
    deadline = clock["deadline"]
    return JSONResponse(
        {
            "started_at": started.started_at.isoformat(timespec="seconds") + "Z"
            if started.started_at
            else None,
            "deadline": deadline.isoformat(timespec="seconds") + "Z" if deadline else None,
        }
    )


_STARTERS: dict[tuple[str, str], StarterRepo] = {}
_STARTERS_LOCK = threading.Lock()
_MAX_CACHED = 16


def _starter_repo(svc: Services, token: str) -> StarterRepo:
    invite = _invite(svc, token)
    if invite.expires_at <= utcnow():
        raise InviteExpired("this invite has expired")
    if invite.time_limit_hours is not None and invite.started_at is None:
        raise NotStarted("press Start on the invite page first: that starts your clock")
    challenge = svc.challenges.get(invite.challenge_id)
    version = invite.challenge_version or challenge.version_hash
    row = starter_for(svc.db, challenge.id, version)
    if row is None and version == challenge.version_hash:
        row = remember_starter(svc.db, svc.blobs, challenge)
    if row is None:
        raise NotFound("the starter of this invite's challenge version is not kept")
    key = (challenge.id, row.snapshot_digest)
    with _STARTERS_LOCK:
        cached = _STARTERS.get(key)
    if cached is None:
        snapshot = Snapshot.from_tar(svc.blobs.get(row.snapshot_digest))
        cached = build_starter(challenge.id, snapshot)
        with _STARTERS_LOCK:
            if len(_STARTERS) >= _MAX_CACHED:
                _STARTERS.pop(next(iter(_STARTERS)))
            _STARTERS[key] = cached
    return cached


_STARTER_ERRORS = problems(409, 410, 503)
_ARCHIVE = {"type": "string", "format": "binary"}


def _download(repo: StarterRepo, data: bytes, suffix: str, media_type: str) -> Response:
    headers = {
        "Content-Disposition": f'attachment; filename="{repo.name}{suffix}"',
        "X-Starter-Commit": repo.commit,
        "Cache-Control": "private, no-store",
    }
    return Response(data, media_type=media_type, headers=headers)


@router.get(
    "/starter.zip",
    summary="The starter as a zip holding a one-commit Git repository",
    response_class=Response,
    responses={
        200: content("The starter repository.", "application/zip", schema=_ARCHIVE),
        **_STARTER_ERRORS,
    },
)
async def starter_zip(token: str, svc: Svc) -> Response:
    """The starter of the invite's challenge version; 409 not_started before Start (timed)."""
    repo = await run_in_threadpool(_starter_repo, svc, token)
    data = await run_in_threadpool(repo.zip_bytes)
    return _download(repo, data, ".zip", "application/zip")


@router.get(
    "/starter.tar.gz",
    summary="The starter as a .tar.gz holding a Git repository",
    response_class=Response,
    responses={
        200: content("The starter repository.", "application/gzip", schema=_ARCHIVE),
        **_STARTER_ERRORS,
    },
)
async def starter_tar_gz(token: str, svc: Svc) -> Response:
    """The starter of the invite's challenge version; 409 not_started before Start (timed)."""
    repo = await run_in_threadpool(_starter_repo, svc, token)
    data = await run_in_threadpool(repo.tar_gz_bytes)
    return _download(repo, data, ".tar.gz", "application/gzip")


@router.post(
    "/submissions",
    status_code=202,
    summary="Submit an archive for grading",
    openapi_extra=upload_body(candidate=True),
    responses={
        303: redirect("A browser's form: to the submission's status page."),
        **problems(403, 409, 410, 411, 415, 422, 429, 503),
    },
)
async def submit(token: str, request: Request, svc: Svc) -> Response:
    """Upload a .zip/.tar/.tar.gz (form field `archive`); 202 with the status URL in Location."""
    # Everything that can refuse without the body comes first: rate limits, the invite's
    # validity, expiry and count; only then is the upload read or the repository cloned.
    svc.submit_limits.per_address.take(client_address(request), "address")
    invite = await run_in_threadpool(_invite, svc, token)
    svc.submit_limits.per_invite.take(invite.id, "invite")
    await run_in_threadpool(check_open, svc, invite.id)
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


@router.get(
    "/submissions/{submission_id}",
    summary="Status of a submission",
    responses={200: {"description": "JSON, or a page when HTML is asked for.", "content": HTML}},
)
async def submission_status(
    token: str, submission_id: str, request: Request, svc: Svc
) -> Response:
    """State and, as the challenge's feedback policy allows, test outcomes and scores."""
    # One SELECT of columns through a plain connection, the report's summary and not the report:
    # candidates poll this page. It runs here, on the event loop: the hop to a worker thread
    # and back (a GIL hand-off each way) costs about as much as the indexed SELECT. The rare
    # answers (404, the HTML page) go to a thread.
    with svc.db.single_read() as connection:
        view = candidate_submission(connection, token_digest(token), submission_id)
        queued = view is not None and view.state == "queued"
        position = queue_position(connection, view) if view is not None and queued else None
    if view is None:
        raise await run_in_threadpool(_not_found, svc, token)
    policy = svc.challenges.get(view.challenge_id).manifest.feedback.policy
    data = candidate_view(view, policy)
    if position is not None:
        data["queue_position"] = position
    if view.late:
        data["late"] = True
    if not wants_html(request):
        return JSONResponse(data)
    context = {"token": token, "data": data, "policy": policy}
    return await run_in_threadpool(render, request, "status.html", context)


def _not_found(svc: Services, token: str) -> NotFound:
    """The `NotFound` that says which of the two is unknown: the invite or the submission."""
    with svc.db.reading() as session:
        invite = invite_for_token(session, token)
    return NotFound("no such invite" if invite is None else "no such submission")
