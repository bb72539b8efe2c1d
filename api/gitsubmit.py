"""Git URL submissions: reading the request fields and snapshotting the repository.

A Git submission comes as JSON (`{"git_url": ..., "ref": ...}`) or as an urlencoded form (the
candidate page's Git form); multipart stays the archive upload. The clone runs in a worker
thread (never on the event loop), and the snapshot is stored before the service answers `202`,
exactly like an upload.

Clones run on the service's own clone threads (`Services.clone_slots`, see `api.clones`), never
on AnyIO's shared default pool that every sync route uses; only after the invite's checks (an
expired invite is a 410 before any clone); at most `clones_per_invite` at once per invite. When
every slot is busy the request is refused at once with `503 queue_full` and `Retry-After`
(nothing stored); when `git` cannot be started on this host the answer is `503
git_unavailable` (the server's fault, not the repository's).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response

from api.errors import UploadRefused
from api.jsonbody import JsonRefused, loads_bounded
from api.limits import text_form
from api.pages import wants_html
from api.services import Services
from api.uploads import accepted, check_open, submission_target
from runner.gitintake import GitPolicy, GitSnapshot, clone_snapshot
from runner.intake import IntakeLimits
from runner.settings import Settings
from runner.starter import invite_starter_commit
from runner.store import Invite
from runner.store.bindings import GitProvenance
from runner.store.records import NewSubmission, add_submission

__all__ = [
    "GitFields",
    "api_git_submission",
    "candidate_git_submission",
    "git_limits",
    "git_policy",
    "read_git_fields",
    "snapshot_git",
]

_MAX_FIELDS_BYTES = 64 * 1024
_MAX_FORM_FIELDS = 20
_TAR_OVERHEAD = 8 * 1024 * 1024  # tar headers and padding of up to 5000 files


@dataclass(frozen=True)
class GitFields:
    """The fields of a Git submission request."""

    git_url: str
    ref: str
    fields: dict[str, str]


def git_policy(settings: Settings) -> GitPolicy:
    """The clone policy the settings describe."""
    return GitPolicy(
        allowed_hosts=frozenset(settings.git_allowed_hosts),
        allow_loopback=settings.git_allow_loopback,
        allow_http=settings.git_allow_http,
        max_bytes=settings.git_max_bytes,
        timeout_seconds=settings.git_timeout_seconds,
        history_commits=settings.git_history_commits,
    )


def git_limits() -> IntakeLimits:
    """The intake limits of a snapshot made from a commit (its `git archive` tar)."""
    defaults = IntakeLimits()
    return IntakeLimits(max_archive_bytes=defaults.max_bytes + _TAR_OVERHEAD)


async def _small_body(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_FIELDS_BYTES:
            raise UploadRefused(413, "too_large", "a Git submission request is at most 64 KiB")
    return bytes(body)


async def _json_fields(request: Request) -> dict[str, str]:
    try:
        data = loads_bounded(await _small_body(request))
    except JsonRefused as exc:
        raise UploadRefused(400, "malformed_json", str(exc)) from None
    if not isinstance(data, dict):
        raise UploadRefused(400, "malformed_json", "the body must be a JSON object")
    return {str(k): v for k, v in data.items() if isinstance(v, str)}


async def _form_fields(request: Request) -> dict[str, str]:
    # Through Starlette's cached form: on a cookie-authenticated request `check_csrf` has read
    # it already, and the stream cannot be read twice. The declared length bounds it.
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        raise UploadRefused(411, "length_required", "send the form with a Content-Length")
    if int(declared) > _MAX_FIELDS_BYTES:
        raise UploadRefused(413, "too_large", "a Git submission request is at most 64 KiB")
    form = await text_form(request, _MAX_FORM_FIELDS + 1)
    if len(form.multi_items()) > _MAX_FORM_FIELDS:
        message = f"a Git form has at most {_MAX_FORM_FIELDS} fields"
        raise UploadRefused(400, "malformed_form", message)
    return {key: value for key, value in form.items() if isinstance(value, str)}


async def read_git_fields(request: Request) -> GitFields | None:
    """The Git submission in a JSON or urlencoded request with a `git_url` field; None for any
    other request (an archive upload)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        fields = await _json_fields(request)
    elif kind == "application/x-www-form-urlencoded":
        fields = await _form_fields(request)
    else:
        return None
    if "git_url" not in fields:
        return None  # not a Git submission: the upload path answers (415, wrong content type)
    url = fields["git_url"].strip()
    if not url:
        raise UploadRefused(400, "missing_git_url", "give a repository URL in field 'git_url'")
    return GitFields(git_url=url, ref=fields.get("ref", "").strip(), fields=fields)


async def snapshot_git(
    svc: Services,
    url: str,
    ref: str | None,
    starter_commit: str | None = None,
    holders: tuple[str, ...] = (),
) -> GitSnapshot:
    """Clone and snapshot `url` at `ref` on one of `svc`'s clone threads (`api.clones`; see
    `runner.gitintake`); with `starter_commit`, also whether the commit descends from it.
    `holders` ("invite:<id>", "binding:<id>") each get at most `clones_per_invite` at once."""
    policy, limits = git_policy(svc.settings), git_limits()
    return await svc.clone_slots.run(
        lambda: clone_snapshot(url, ref or None, policy, limits, starter_commit), holders
    )


async def _store(
    svc: Services, fields: GitFields, challenge_id: str, invite_id: str | None, by: str | None
) -> tuple[str, str]:
    """Check the invite, admit, clone, snapshot and store a Git submission; (submission id,
    run id). An expired or used-up invite is refused before anything is cloned."""
    svc.challenges.get(challenge_id)
    if invite_id is not None:
        await run_in_threadpool(check_open, svc, invite_id)
    await run_in_threadpool(svc.queue.admit, challenge_id)
    starter = await run_in_threadpool(invite_starter_commit, svc.db, invite_id)
    holders = (f"invite:{invite_id}",) if invite_id is not None else ()
    got = await snapshot_git(svc, fields.git_url, fields.ref, starter, holders)
    name = fields.git_url.rstrip("/").rsplit("/", 1)[-1]
    new = NewSubmission(
        challenge_id=challenge_id,
        snapshot=got.snapshot,
        filename=f"{name}@{got.commit_sha[:12]}",
        source_kind="git",
        invite_id=invite_id,
        submitted_by=by,
        git=GitProvenance(repo_url=got.url, ref=got.ref, commit_sha=got.commit_sha),
        starter_descent=got.descent,
        history=got.history,
    )
    ids = await run_in_threadpool(add_submission, svc.db, svc.blobs, new)
    svc.enqueued()
    return ids


async def api_git_submission(svc: Services, fields: GitFields, reviewer_id: str) -> Response:
    """`POST /api/submissions` with `git_url`: `challenge` (an id) or `invite` (a token)."""
    invite_id, challenge_id = submission_target(svc, fields.fields)
    submission_id, run_id = await _store(svc, fields, challenge_id, invite_id, reviewer_id)
    return accepted(submission_id, run_id)


async def candidate_git_submission(
    svc: Services, request: Request, token: str, invite: Invite, fields: GitFields
) -> Response:
    """`POST /i/{token}/submissions` with `git_url`: the candidate's own repository."""
    submission_id, _run = await _store(svc, fields, invite.challenge_id, invite.id, None)
    location = f"/i/{token}/submissions/{submission_id}"
    if wants_html(request):
        return RedirectResponse(location, status_code=303)
    body = {"id": submission_id, "state": "queued", "status_url": location}
    return JSONResponse(body, status_code=202, headers={"Location": location})
