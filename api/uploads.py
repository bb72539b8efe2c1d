"""Reading a multipart upload with a hard size limit, before anything is parsed or stored.

The body is read as it streams in and refused (413) as soon as it passes the limit (plus a little
room for the multipart framing): an oversized upload is never held whole, and a declared
`Content-Length` over the limit is refused before a byte is read.

It also holds what every submission channel (archive or Git URL) shares: which challenge and
invite a submission is for, the checks made before a body is read or a repository cloned (the
invite still open, the rate limits of `api.ratelimit`), and the `202` answer. Body size and
read timeout are enforced in front of the app (`api.limits`), this module's limit within it.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile
from starlette.types import Message

from api.errors import UploadRefused
from api.limits import MULTIPART_FRAMING
from api.services import Services
from runner.store import Invite
from runner.store.records import NotFound, check_invite, invite_for_token

__all__ = [
    "Upload",
    "accepted",
    "check_open",
    "client_address",
    "read_upload",
    "submission_target",
]

_FRAMING = MULTIPART_FRAMING


@dataclass(frozen=True)
class Upload:
    """The archive's bytes and name, and the other (small) form fields."""

    filename: str
    data: bytes
    fields: dict[str, str]


def _too_large(limit: int) -> UploadRefused:
    return UploadRefused(413, "too_large", f"the upload is larger than {limit} bytes")


async def _bounded_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + _FRAMING:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit + _FRAMING:
            raise _too_large(limit)
    return bytes(body)


async def read_upload(request: Request, limit: int, field: str = "archive") -> Upload:
    """The file in form field `field` of a multipart request, at most `limit` bytes."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise UploadRefused(415, "wrong_content_type", "send the archive as multipart/form-data")
    body = await _bounded_body(request, limit)

    async def replay() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    parsed = Request(request.scope, receive=replay)
    async with parsed.form(max_files=1, max_fields=20) as form:
        upload = form.get(field)
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        if not isinstance(upload, UploadFile):
            raise UploadRefused(400, "missing_file", f"no file in form field {field!r}")
        data = await upload.read(limit + 1)
        filename = upload.filename or "upload"
    if len(data) > limit:
        raise _too_large(limit)
    return Upload(filename=filename, data=data, fields=fields)


def client_address(request: Request) -> str:
    """The address of the connection's peer (the proxy's, behind a reverse proxy)."""
    return request.client.host if request.client else "unknown"


def check_open(svc: Services, invite_id: str, *, count_used: bool = True) -> None:
    """Raise unless the invite takes a submission now (expired 410, strict deadline passed 403,
    used up 409; see `check_invite`): before an upload is read or a repository cloned."""
    with svc.db.reading() as session:
        invite = session.get(Invite, invite_id)
        if invite is None:
            raise NotFound("no such invite")
        check_invite(session, invite, count_used=count_used)


def submission_target(svc: Services, fields: dict[str, str]) -> tuple[str | None, str]:
    """(invite id, challenge id) named by the fields `invite` (a token) or `challenge` (an id)."""
    invite_id, challenge_id = None, fields.get("challenge", "")
    if token := fields.get("invite", ""):
        with svc.db.reading() as session:
            invite = invite_for_token(session, token)
        if invite is None:
            raise NotFound("no such invite")
        invite_id, challenge_id = invite.id, invite.challenge_id
    if not challenge_id:
        raise UploadRefused(400, "missing_challenge", "give a `challenge` id or an `invite`")
    return invite_id, challenge_id


def accepted(submission_id: str, run_id: str) -> JSONResponse:
    """`202 Accepted` with the new submission's URL."""
    location = f"/api/submissions/{submission_id}"
    body = {"id": submission_id, "run": run_id, "state": "queued", "url": location}
    return JSONResponse(body, status_code=202, headers={"Location": location})
