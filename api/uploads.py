"""Reading a multipart upload with a hard size limit, before anything is parsed or stored.

The body is read as it streams in and refused (413) as soon as it passes the limit (plus a little
room for the multipart framing): an oversized upload is never held whole, and a declared
`Content-Length` over the limit is refused before a byte is read.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.types import Message

from api.errors import UploadRefused

__all__ = ["Upload", "read_upload"]

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
