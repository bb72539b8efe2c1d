"""One request-body limit for every route, enforced in front of the app, before any parsing.

`BodyLimits` is a pure ASGI middleware (the outermost but for Starlette's error middleware). It
picks the route's limit from the method and path (`RouteLimits.for_request`):

| route                                          | limit                                   |
|------------------------------------------------|-----------------------------------------|
| `POST /i/{token}/submissions`, `POST /api/submissions` | `max_upload_bytes` + multipart framing |
| `/webhooks/...`                                | `webhook_max_bytes`                     |
| any other `/api/...` (JSON)                    | `json_max_bytes`                        |
| everything else (forms: login, logout, invites, bindings, Start) | `form_max_bytes`      |

A declared `Content-Length` over the limit is answered `413 too_large` before the app runs; a
chunked (or lying) body is counted as it streams and refused the moment it passes the limit
(`BodyRefused`, mapped by `api.errors`). Each wait for the next chunk of a body is bounded by
`body_timeout_seconds`: a client that sends half a body and stalls gets `408 body_timeout`, and
the half body is dropped. Form parsing itself is bounded too (`create_app` gives FastAPI
`form_limits`: no file part where text fields are expected, at most `max_form_fields` fields).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import anyio
from starlette.datastructures import FormData, Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import BodyRefused, UploadRefused, refusal
from runner.settings import Settings

__all__ = ["MULTIPART_FRAMING", "BodyLimits", "RouteLimits", "text_form"]

MULTIPART_FRAMING = 64 * 1024
"""Room for multipart boundaries, part headers and small fields around an upload's archive."""
_UPLOADS = re.compile(r"^/(i/[^/]+|api)/submissions/?$")


@dataclass(frozen=True)
class RouteLimits:
    """Body limits (bytes) by kind of route, and the longest wait for a body's next chunk."""

    upload: int
    webhook: int
    json: int
    form: int
    timeout_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RouteLimits:
        """The limits `settings` describe."""
        return cls(
            upload=settings.max_upload_bytes + MULTIPART_FRAMING,
            webhook=settings.webhook_max_bytes,
            json=settings.json_max_bytes,
            form=settings.form_max_bytes,
            timeout_seconds=settings.body_timeout_seconds,
        )

    def for_request(self, method: str, path: str) -> int:
        """The body limit of a `method` request to `path`."""
        if method == "POST" and _UPLOADS.match(path):
            return self.upload
        if path.startswith("/webhooks/"):
            return self.webhook
        if path.startswith("/api/"):
            return self.json
        return self.form


def _declared_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length", "").strip()
    return int(value) if value.isdigit() else None


def _too_large(limit: int) -> BodyRefused:
    return BodyRefused(413, "too_large", f"the request body is larger than {limit} bytes")


class BodyLimits:
    """Pure ASGI middleware: the body limit and read timeout of `RouteLimits` on every request."""

    def __init__(self, app: ASGIApp, limits: RouteLimits) -> None:
        self._app = app
        self._limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        limit = self._limits.for_request(scope["method"], scope["path"])
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            response = await refusal(Request(scope), _too_large(limit))
            await response(scope, receive, send)
            return
        await self._app(scope, _metered(receive, limit, self._limits.timeout_seconds), send)


def _metered(receive: Receive, limit: int, timeout: float) -> Receive:
    """`receive`, counting body bytes against `limit` and bounding each wait by `timeout`,
    until the body is complete (then a plain pass-through: waiting for a disconnect is fine)."""
    received = 0
    complete = False

    async def metered() -> Message:
        nonlocal received, complete
        if complete:
            return await receive()
        try:
            with anyio.fail_after(timeout):
                message = await receive()
        except TimeoutError:
            raise BodyRefused(
                408, "body_timeout", f"no part of the request body arrived for {timeout:g} s"
            ) from None
        if message["type"] != "http.request":
            complete = True
            return message
        received += len(message.get("body", b""))
        if received > limit:
            raise _too_large(limit)
        complete = not message.get("more_body", False)
        return message

    return metered


async def text_form(request: Request, max_fields: int) -> FormData:
    """The request's form (Starlette's cached one when it was read before), text fields only:
    a file part or more than `max_fields` fields is `400 malformed_form`, refused as the parser
    meets it (a file part at its headers, unread)."""
    try:
        return await request.form(max_files=0, max_fields=max_fields)
    except HTTPException as exc:  # Starlette's answer to a form over its limits
        raise UploadRefused(400, "malformed_form", str(exc.detail)) from None
