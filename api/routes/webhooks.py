"""CI webhooks: a push to a bound branch on GitHub or GitLab becomes a submission.

The binding is named in the path (`/webhooks/github/{binding_id}`): its secret is known before
a byte of the body is parsed, so the signature (GitHub: `X-Hub-Signature-256`, HMAC-SHA256 of the
raw body; GitLab: `X-Gitlab-Token`) is checked first, in constant time, and a repository bound
to two invites (a retake) is never ambiguous. The payload's repository must still be the bound
one. The order of checks, and what each failure answers (nothing is stored for any of them):

    body over `webhook_max_bytes`             413 too_large
    not exactly a binding id (32 hex digits),
    no such binding, or another provider's    404 unknown_binding
    signature / token missing or wrong        401 bad_signature
    event other than push (ping: pong)        200 {"ignored": ...}
    body not a JSON object of the right shape 400 malformed_payload
    (or nested deeper than 64 levels: refused before parsing, see `api.jsonbody`; GitHub's
    form content type: the JSON is the `payload` field, a form without it is malformed too)
    repository is not the bound one           422 unknown_repository
    branch deleted / another branch           200 {"ignored": "branch_deleted" | "other_branch"}
    no delivery id                            400 missing_delivery_id
    delivery seen before                      200 {"duplicate": true, "submission": ...}
    the invite had all its pushes             409 limit_reached
    every clone slot busy                     503 queue_full (Retry-After)
    git cannot be started on this host        503 git_unavailable
    the host does not resolve / is unreachable 503 repo_unreachable (Retry-After)
    accepted: the commit is fetched           202 {"submission": ..., "url": ...}

The repository is matched case-insensitively in its path (GitHub and GitLab paths are; the
payload carries the canonical case, the binding what was typed). The commit is fetched and
snapshotted before `202`, as for an upload: no push is lost when the service restarts right
after answering. Only the bound URL is cloned (never a URL from the payload), at the pushed
commit SHA. A push supersedes the still-queued first runs of earlier pushes through the same
binding (never an upload, another binding's push or a reviewer's regrade); superseded pushes
do not count against the invite's limit, but an invite accepts at most
`PUSH_CAP_FACTOR` (10) x `max_submissions` pushes in all, through all its bindings together (at
most `max_bindings_per_invite`; checked before the clone, and again when storing). Log lines
name the binding and the reason, never a header value or the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from api.errors import WebhookRefused
from api.gitsubmit import snapshot_git
from api.jsonbody import JsonRefused, loads_bounded
from api.openapi import content, problems, webhook_body
from api.services import Services, Svc
from api.uploads import check_open
from runner.gitintake import GitIntakeError, GitSnapshot, check_commit_sha, normalise_repo_url
from runner.starter import invite_starter_commit
from runner.store import Invite, RepoBinding
from runner.store.bindings import (
    DuplicateDelivery,
    GitProvenance,
    binding_secret,
    secret_matches_check,
    seen_delivery,
)
from runner.store.records import NewSubmission, NotFound, add_submission, check_push_cap

__all__ = ["router"]

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
_log = logging.getLogger("takehome.webhooks")
_ZERO_SHA = "0" * 40
_BINDING_ID = re.compile(r"[0-9a-f]{32}")  # `runner.store.models.new_id`
_JSON = "application/json"
_ANSWERS = {
    200: content("Pong, ignored (`ignored`: why) or a duplicate delivery.", _JSON, schema={}),
    202: content("Accepted: the submission the push became.", _JSON, schema={"type": "object"}),
    **problems(401, 403, 409, 410, 422, 429, 503),
}


@dataclass(frozen=True)
class _Push:
    ref: str
    sha: str | None
    repo_urls: tuple[str, ...]
    deleted: bool
    delivery_key: str


def _refuse(binding_id: str, status: int, reason: str, message: str) -> WebhookRefused:
    _log.warning("webhook refused: binding %r: %s (%s)", binding_id[:40], reason, message)
    return WebhookRefused(status, reason, message)


async def _body(request: Request, svc: Services, binding_id: str) -> bytes:
    limit = svc.settings.webhook_max_bytes
    declared = request.headers.get("content-length", "")
    message = f"the body is larger than {limit} bytes"
    if declared.isdigit() and int(declared) > limit:
        raise _refuse(binding_id, 413, "too_large", message)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _refuse(binding_id, 413, "too_large", message)
    return bytes(body)


def _binding(svc: Services, binding_id: str, provider: str) -> RepoBinding:
    binding = None
    if _BINDING_ID.fullmatch(binding_id):  # exactly a binding id: never cut to length
        with svc.db.reading() as session:
            binding = session.get(RepoBinding, binding_id)
    if binding is None or not binding.active or binding.provider != provider:
        raise _refuse(binding_id, 404, "unknown_binding", f"no {provider} binding {binding_id!r}")
    return binding


def _secret(svc: Services, binding: RepoBinding) -> bytes:
    return binding_secret(svc.settings.secret_key, binding.id, binding.secret_salt).encode()


def _bad_signature(svc: Services, binding: RepoBinding, what: str) -> WebhookRefused:
    if not secret_matches_check(binding, _secret(svc, binding).decode()):
        _log.error(
            "binding %s: the service secret key changed since it was made: rebind", binding.id
        )
    return _refuse(binding.id, 401, "bad_signature", what)


def _parse(body: bytes, binding_id: str) -> dict[str, Any]:
    try:
        data = loads_bounded(body)
    except JsonRefused as exc:  # not JSON, or nested deeper than MAX_JSON_DEPTH
        raise _refuse(binding_id, 400, "malformed_payload", str(exc)) from None
    if not isinstance(data, dict):
        raise _refuse(binding_id, 400, "malformed_payload", "the body is not a JSON object")
    return data


def _github_json(request: Request, body: bytes, binding_id: str) -> bytes:
    """The JSON of a GitHub delivery: the body itself, or with the hook's content type
    `application/x-www-form-urlencoded` (GitHub's default for a hook made through the REST
    API) its one field `payload`. The signature is over the raw body either way."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return body
    try:
        fields = parse_qs(
            body.decode("ascii"), keep_blank_values=True, strict_parsing=True, errors="strict"
        )
    except (UnicodeError, ValueError):  # not ASCII, a field without '=', bad UTF-8 escapes
        fields = {}
    payload = fields.get("payload", [])
    if len(payload) != 1:
        message = "a form-encoded delivery needs exactly one field 'payload' (the JSON)"
        raise _refuse(binding_id, 400, "malformed_payload", message)
    return payload[0].encode()


def _text(data: dict[str, Any], *path: str) -> str | None:
    value: Any = data
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) else None


def _ignored(reason: str, detail: str) -> Response:
    return JSONResponse({"ignored": reason, "detail": detail}, status_code=200)


def _check_signature(
    svc: Services, binding: RepoBinding, sent: bytes, expected: bytes, *, header: str, wrong: str
) -> None:
    if not sent:
        raise _refuse(binding.id, 401, "bad_signature", f"no {header} header")
    if not hmac.compare_digest(sent, expected):
        raise _bad_signature(svc, binding, f"{header} {wrong}")


def _ref_after(data: dict[str, Any], binding_id: str, repository_key: str) -> tuple[str, str]:
    ref, after = _text(data, "ref"), _text(data, "after")
    if ref is None or after is None or not isinstance(data.get(repository_key), dict):
        message = f"a push needs ref, after, {repository_key}"
        raise _refuse(binding_id, 400, "malformed_payload", message)
    return ref, after


def _urls(data: dict[str, Any], *paths: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(u for path in paths if (u := _text(data, *path)))


def _gitlab_delivery_key(request: Request, commit: str) -> str:
    key = request.headers.get("idempotency-key", "").strip()
    if not key and (uuid := request.headers.get("x-gitlab-event-uuid", "").strip()):
        key = f"{uuid}:{commit}"
    return key


@router.post(
    "/github/{binding_id}",
    summary="GitHub webhook (push, ping)",
    openapi_extra=webhook_body("github"),
    responses=_ANSWERS,
)
async def github(binding_id: str, request: Request, svc: Svc) -> Response:
    """A GitHub delivery for a repository binding, signed with its secret."""
    body = await _body(request, svc, binding_id)
    binding = await run_in_threadpool(_binding, svc, binding_id, "github")
    sent = request.headers.get("x-hub-signature-256", "").encode("latin-1")
    expected = (
        b"sha256=" + hmac.new(_secret(svc, binding), body, hashlib.sha256).hexdigest().encode()
    )
    _check_signature(
        svc, binding, sent, expected, header="X-Hub-Signature-256", wrong="does not match the body"
    )
    event = request.headers.get("x-github-event", "")
    if event == "ping":
        return JSONResponse({"ok": "pong", "binding": binding.id, "branch": binding.branch})
    if event != "push":
        return _ignored("event", f"only push events are handled, not {event[:40]!r}")
    data = _parse(_github_json(request, body, binding.id), binding.id)
    ref, after = _ref_after(data, binding.id, "repository")
    urls = _urls(data, *(("repository", key) for key in ("clone_url", "html_url", "url")))
    push = _Push(
        ref=ref,
        sha=after,
        repo_urls=urls,
        deleted=data.get("deleted") is True,
        delivery_key=request.headers.get("x-github-delivery", "").strip(),
    )
    return await _accept(svc, binding, push)


@router.post(
    "/gitlab/{binding_id}",
    summary="GitLab webhook (Push Hook)",
    openapi_extra=webhook_body("gitlab"),
    responses=_ANSWERS,
)
async def gitlab(binding_id: str, request: Request, svc: Svc) -> Response:
    """A GitLab delivery for a repository binding, with its secret token."""
    body = await _body(request, svc, binding_id)
    binding = await run_in_threadpool(_binding, svc, binding_id, "gitlab")
    sent = request.headers.get("x-gitlab-token", "").encode("latin-1")
    secret = _secret(svc, binding)
    wrong = "is not this binding's secret"
    _check_signature(svc, binding, sent, secret, header="X-Gitlab-Token", wrong=wrong)
    event = request.headers.get("x-gitlab-event", "")
    if event != "Push Hook":
        return _ignored("event", f"only Push Hook events are handled, not {event[:40]!r}")
    data = _parse(body, binding.id)
    ref, after = _ref_after(data, binding.id, "project")
    sha = _text(data, "checkout_sha")
    urls = _urls(
        data,
        ("project", "git_http_url"),
        ("project", "web_url"),
        ("repository", "git_http_url"),
    )
    key = _gitlab_delivery_key(request, sha or after)
    push = _Push(
        ref=ref,
        sha=sha,
        repo_urls=urls,
        deleted=sha is None or after == _ZERO_SHA,
        delivery_key=key,
    )
    return await _accept(svc, binding, push)


async def _accept(svc: Services, binding: RepoBinding, push: _Push) -> Response:
    bound = normalise_repo_url(binding.repo_url)
    if bound not in {normalise_repo_url(u) for u in push.repo_urls}:
        raise _refuse(
            binding.id, 422, "unknown_repository", "the payload's repository is not the bound one"
        )
    if push.deleted or not push.sha or push.sha == _ZERO_SHA:
        return _ignored("branch_deleted", f"{push.ref[:200]} was deleted: nothing to grade")
    if push.ref != f"refs/heads/{binding.branch}":
        detail = f"the binding follows refs/heads/{binding.branch}, not {push.ref[:200]}"
        return _ignored("other_branch", detail)
    sha = check_commit_sha(push.sha)
    if not push.delivery_key:
        raise _refuse(binding.id, 400, "missing_delivery_id", "no delivery id header")
    earlier = await run_in_threadpool(_seen, svc, binding.id, push.delivery_key)
    if earlier is not None:
        return _duplicate(earlier)
    invite = await run_in_threadpool(_invite, svc, binding.invite_id)
    await run_in_threadpool(_check_pushes, svc, invite)  # before the clone
    await run_in_threadpool(check_open, svc, invite.id, count_used=False)
    svc.challenges.get(invite.challenge_id)
    await run_in_threadpool(svc.queue.admit, invite.challenge_id)
    got = await _fetch(svc, binding, sha, invite.id)
    new = NewSubmission(
        challenge_id=invite.challenge_id,
        snapshot=got.snapshot,
        filename=f"{binding.repo_url.rsplit('/', 1)[-1]}@{sha[:12]}",
        source_kind="git",
        invite_id=invite.id,
        git=GitProvenance(
            repo_url=binding.repo_url,
            ref=push.ref,
            commit_sha=got.commit_sha,
            binding_id=binding.id,
            provider=binding.provider,
            delivery_key=push.delivery_key,
            supersede_queued=True,
        ),
        starter_descent=got.descent,
        history=got.history,
    )
    try:
        submission_id, run_id = await run_in_threadpool(add_submission, svc.db, svc.blobs, new)
    except DuplicateDelivery as dup:
        return _duplicate(dup.submission_id)
    svc.enqueued()
    _log.info("binding %s: push %s became submission %s", binding.id, sha[:12], submission_id)
    location = f"/api/submissions/{submission_id}"
    body = {"submission": submission_id, "run": run_id, "commit": sha, "url": location}
    return JSONResponse(body, status_code=202, headers={"Location": location})


async def _fetch(svc: Services, binding: RepoBinding, sha: str, invite_id: str) -> GitSnapshot:
    starter = await run_in_threadpool(invite_starter_commit, svc.db, invite_id)
    holders = (f"invite:{invite_id}", f"binding:{binding.id}")
    try:
        return await snapshot_git(svc, binding.repo_url, sha, starter, holders)
    except GitIntakeError as exc:  # answered by `api.errors`; logged here with the binding
        _log.warning("webhook refused: binding %s: %s (%s)", binding.id, exc.reason, exc)
        raise


def _duplicate(submission_id: str) -> Response:
    body = {"duplicate": True, "submission": submission_id}
    return JSONResponse({**body, "url": f"/api/submissions/{submission_id}"}, status_code=200)


def _seen(svc: Services, binding_id: str, key: str) -> str | None:
    with svc.db.reading() as session:
        return seen_delivery(session, binding_id, key[:200])


def _invite(svc: Services, invite_id: str) -> Invite:
    with svc.db.reading() as session:
        invite = session.get(Invite, invite_id)
    if invite is None:
        raise NotFound("the binding's invite is gone")
    return invite


def _check_pushes(svc: Services, invite: Invite) -> None:
    with svc.db.reading() as session:
        check_push_cap(session, invite)
