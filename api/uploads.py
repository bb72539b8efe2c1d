"""Reading a multipart upload with a hard size limit, before anything is parsed or stored.

The body is read as it streams in and refused (413) as soon as it passes the limit (plus a little
room for the multipart framing): an oversized upload is never held whole, and a declared
`Content-Length` over the limit is refused before a byte is read.

It also holds what every `POST /api/submissions` channel (archive or Git URL) shares: which
challenge and invite a submission is for, and the `202` answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile
from starlette.types import Message

from api.errors import UploadRefused
from api.services import Services
from runner.store.records import NotFound, invite_for_token

__all__ = ["Upload", "accepted", "read_upload", "submission_target"]

_FRAMING = 64 * 1024  # multipart boundaries, headers and small fields


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
