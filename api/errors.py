"""Every domain exception mapped to an HTTP answer, in one place.

| exception                                  | status | error code          |
|--------------------------------------------|--------|---------------------|
| `IntakeError` too_large / too_many_files   | 413    | its `.reason`       |
| `IntakeError` bad_archive                  | 415    | bad_archive         |
| `IntakeError` (any other reason)           | 400    | its `.reason`       |
| `UploadRefused`, `WebhookRefused`          | its own| its own             |
| `BodyRefused` too large / stalled (limits) | 413/408| too_large / body_timeout |
| `RateLimited` (submission attempts)        | 429    | rate_limited        |
| `GitIntakeError` url_refused / bad_ref     | 400    | its `.reason`       |
| `GitIntakeError` address_refused           | 403    | address_refused     |
| `GitIntakeError` repo_too_large            | 413    | repo_too_large      |
| `GitIntakeError` fetch_failed / timeout    | 422    | its `.reason`       |
| `GitIntakeError` git_unavailable           | 503    | git_unavailable     |
| `GitIntakeError` repo_unreachable (DNS, network, a forge's 5xx) | 503 | repo_unreachable |
| `NotAuthenticated`                         | 401 (JSON) or 303 to /login (pages)   |
| `CsrfFailed`                               | 403    | csrf                |
| `NotFound`, `UnknownChallenge`             | 404    | not_found           |
| `ChangesNotFound` (no such changed file)   | 404    | not_found           |
| `SubmissionLimitReached`                   | 409    | limit_reached       |
| `BindingLimitReached` (bindings per invite)| 409    | limit_reached       |
| `InviteExpired`                            | 410    | invite_expired      |
| `DeadlinePassed`                           | 403    | deadline_passed     |
| `NotStarted`                               | 409    | not_started         |
| `StarterError` (git failed building it)    | 503    | starter_unavailable |
| `QueueFull` of one challenge               | 429    | queue_full          |
| `QueueFull` overall, or every clone slot   | 503    | queue_full          |
| `InvalidReview`                            | 422    | invalid_review      |
| `IncompleteReview`                         | 422    | incomplete_review   |
| `NotYourReview`                            | 403    | not_your_review     |
| `CommentGone` (removing a removed comment) | 409    | comment_gone        |
| `ReviewsHidden`                            | 403    | review_first        |
| `InvalidDecision`                          | 422    | invalid_decision    |
| `ReportUnreadable` (stored report: exports, changes) | 409 | report_unreadable |
| `BlobError` (a stored snapshot missing or damaged)   | 409 | blob_unreadable   |
| `EventError` url_refused / address_refused | 400/403| its `.reason`       |
| `EventError` invalid_endpoint / busy       | 400/409| its `.reason`       |

| FastAPI's `RequestValidationError`         | 422    | invalid_request     |
| Starlette's `HTTPException` (no route, 405, ...) | its own | `_HTTP_CODES`, or `http_<status>` |

A `QueueFull`, `RateLimited` or `GitUnreachable` answer carries `Retry-After` (seconds). Git
forms are refused by `UploadRefused` with 411 length_required, 413 too_large or 400
malformed_form (also a form with a file part or too many fields); a binding's push cap is a 409
limit_reached like an invite's.

The body is JSON `{"error": code, "detail": message}` (plus `message`, a sentence for people,
for the codes in `_HUMAN`), or a small HTML page when the client asked for HTML (a browser form):
one shape for every error the service answers, FastAPI's own included (its validation errors'
`loc` and `msg` are joined into `detail`). The OpenAPI document declares it once as the `Error`
schema (`api.openapi`).
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from api.pages import render, wants_html
from api.views import ReportUnreadable
from runner.blobs import BlobError, BlobNotFound
from runner.challenge import UnknownChallenge
from runner.changes import ChangesNotFound
from runner.events import EventError
from runner.gitintake import GitIntakeError, GitUnreachable
from runner.intake import IntakeError
from runner.queue import QueueFull
from runner.starter import StarterError
from runner.store.bindings import BindingLimitReached
from runner.store.records import (
    DeadlinePassed,
    InviteExpired,
    NotFound,
    NotStarted,
    SubmissionLimitReached,
)
from runner.store.reviews import (
    CommentGone,
    IncompleteReview,
    InvalidDecision,
    InvalidReview,
    NotYourReview,
    ReviewsHidden,
)

__all__ = [
    "BodyRefused",
    "CsrfFailed",
    "NotAuthenticated",
    "RateLimited",
    "UploadRefused",
    "WebhookRefused",
    "install_error_handlers",
    "refusal",
]

_INTAKE_STATUS = {"too_large": 413, "too_many_files": 413, "bad_archive": 415}
_HUMAN = {
    "too_large": "The archive is too large. Leave out data files, virtualenvs and build output.",
    "too_many_files": "The archive holds too many files.",
    "bad_archive": "This is not a readable .zip, .tar or .tar.gz archive.",
    "path_traversal": "The archive holds a path that points outside the project.",
    "link": "The archive holds a symbolic or hard link; links are not accepted.",
    "special_file": "The archive holds a device, FIFO or other special file.",
    "empty": "The archive holds no files.",
    "duplicate": "The archive holds the same path twice.",
    "wrong_content_type": "Send the archive as a multipart/form-data upload.",
    "missing_file": "Choose an archive to upload (form field 'archive').",
    "url_refused": "This repository URL is not accepted (https, an allowed host, no credentials).",
    "address_refused": "This repository's host is an internal address: not reachable from here.",
    "bad_ref": "Give a plain branch, tag or commit name.",
    "fetch_failed": "The repository or ref could not be fetched. Is it public and spelt right?",
    "repo_unreachable": "The repository's host could not be reached from here. Try again later.",
    "repo_too_large": "The repository is too large. Leave out data files and build output.",
    "clone_timeout": "Fetching the repository took too long.",
    "queue_full": "Too many submissions are waiting to be graded. Please try again later.",
    "rate_limited": "Too many submission attempts in a short time. Please wait and try again.",
    "invalid_request": "A parameter or field of the request is missing or not of its type.",
    "body_timeout": "The request body stopped arriving. Check the connection and try again.",
}


class UploadRefused(Exception):
    """An upload refused before its archive was read (content type, size, missing field)."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class WebhookRefused(UploadRefused):
    """A webhook delivery refused: bad signature, unknown binding, malformed or too large."""


class BodyRefused(UploadRefused, HTTPException):
    """A request body refused while it streams in (`api.limits`): 413 too_large past the
    route's limit, 408 body_timeout when it stalls. Also an `HTTPException`, so that FastAPI's
    own body parsing (form and JSON parameters) lets it through instead of answering 400."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        HTTPException.__init__(self, status, message)
        self.status = status
        self.reason = reason

    def __str__(self) -> str:
        return str(self.detail)


class RateLimited(Exception):
    """Too many attempts from one invite or one client address (`api.ratelimit`): 429."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotAuthenticated(Exception):
    """A reviewer route was called without a valid session or API token."""


class CsrfFailed(Exception):
    """A cookie-authenticated form or request came without its CSRF token."""


def _problem(request: Request, status: int, code: str, detail: str) -> Response:
    human = _HUMAN.get(code, "")
    if wants_html(request):
        context = {"status": status, "code": code, "detail": detail, "human": human}
        return render(request, "error.html", context, status_code=status)
    body: dict[str, Any] = {"error": code, "detail": detail}
    if human:
        body["message"] = human
    return JSONResponse(body, status_code=status)


async def _intake(request: Request, exc: Exception) -> Response:
    reason = str(getattr(exc, "reason", "bad_archive"))
    return _problem(request, _INTAKE_STATUS.get(reason, 400), reason, str(exc))


_GIT_STATUS = {
    "address_refused": 403,
    "repo_too_large": 413,
    "fetch_failed": 422,
    "git_unavailable": 503,
    "repo_unreachable": 503,
}


async def _git(request: Request, exc: Exception) -> Response:
    reason = cast(GitIntakeError, exc).reason
    status = _GIT_STATUS.get(reason, 422 if reason == "clone_timeout" else 400)
    response = _problem(request, status, reason, str(exc))
    if isinstance(exc, GitUnreachable):  # transient: a retry can succeed
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


_EVENT_STATUS = {"address_refused": 403, "delivery_busy": 409}


async def _event(request: Request, exc: Exception) -> Response:
    reason = cast(EventError, exc).reason
    return _problem(request, _EVENT_STATUS.get(reason, 400), reason, str(exc))


async def _upload(request: Request, exc: Exception) -> Response:
    refused = cast(UploadRefused, exc)
    return _problem(request, refused.status, refused.reason, str(refused))


async def refusal(request: Request, refused: UploadRefused) -> Response:
    """The answer to `refused`, for a caller outside the handlers (`api.limits`)."""
    return await _upload(request, refused)


async def _rate_limited(request: Request, exc: Exception) -> Response:
    limited = cast(RateLimited, exc)
    response = _problem(request, 429, "rate_limited", str(limited))
    response.headers["Retry-After"] = str(limited.retry_after)
    return response


async def _unauthenticated(request: Request, exc: Exception) -> Response:
    if wants_html(request) and request.method == "GET":
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    detail = str(exc) or "log in, or send an API token as 'Authorization: Bearer <token>'"
    response = _problem(request, 401, "not_authenticated", detail)
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


async def _queue_full(request: Request, exc: Exception) -> Response:
    full = cast(QueueFull, exc)
    response = _problem(
        request, 429 if full.scope == "challenge" else 503, "queue_full", str(full)
    )
    response.headers["Retry-After"] = str(full.retry_after)
    return response


async def _blob(request: Request, exc: Exception) -> Response:
    # The blob's digest and path stay in the log, not in the answer.
    missing = isinstance(exc, BlobNotFound)
    what = "missing" if missing else "damaged (its content does not match its digest)"
    detail = f"a stored file of this submission (its snapshot) is {what}: ask an admin to check"
    return _problem(request, 409, "blob_unreadable", detail)


def _fixed(status: int, code: str) -> Any:
    async def handler(request: Request, exc: Exception) -> Response:
        return _problem(request, status, code, str(exc) or code)

    return handler


_HTTP_CODES = {
    400: "malformed_body",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}
_MAX_INVALID = 10  # validation errors named in one `detail`


async def _http(request: Request, exc: Exception) -> Response:
    http = cast(HTTPException, exc)
    if http.status_code in {204, 304}:  # no body allowed
        return Response(status_code=http.status_code, headers=http.headers)
    code = _HTTP_CODES.get(http.status_code, f"http_{http.status_code}")
    response = _problem(request, http.status_code, code, str(http.detail))
    response.headers.update(http.headers or {})  # e.g. 405's Allow
    return response


async def _invalid(request: Request, exc: Exception) -> Response:
    errors = cast(RequestValidationError, exc).errors()
    parts = [
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
        for e in errors[:_MAX_INVALID]
    ]
    more = f" (and {len(errors) - _MAX_INVALID} more)" if len(errors) > _MAX_INVALID else ""
    return _problem(request, 422, "invalid_request", "; ".join(parts) + more)


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping above on `app`."""
    app.add_exception_handler(IntakeError, _intake)
    app.add_exception_handler(UploadRefused, _upload)
    app.add_exception_handler(GitIntakeError, _git)
    app.add_exception_handler(EventError, _event)
    app.add_exception_handler(NotAuthenticated, _unauthenticated)
    app.add_exception_handler(CsrfFailed, _fixed(403, "csrf"))
    app.add_exception_handler(NotFound, _fixed(404, "not_found"))
    app.add_exception_handler(UnknownChallenge, _fixed(404, "not_found"))
    app.add_exception_handler(ChangesNotFound, _fixed(404, "not_found"))
    app.add_exception_handler(SubmissionLimitReached, _fixed(409, "limit_reached"))
    app.add_exception_handler(BindingLimitReached, _fixed(409, "limit_reached"))
    app.add_exception_handler(InviteExpired, _fixed(410, "invite_expired"))
    app.add_exception_handler(DeadlinePassed, _fixed(403, "deadline_passed"))
    app.add_exception_handler(NotStarted, _fixed(409, "not_started"))
    app.add_exception_handler(StarterError, _fixed(503, "starter_unavailable"))
    app.add_exception_handler(QueueFull, _queue_full)
    app.add_exception_handler(InvalidReview, _fixed(422, "invalid_review"))
    app.add_exception_handler(IncompleteReview, _fixed(422, "incomplete_review"))
    app.add_exception_handler(NotYourReview, _fixed(403, "not_your_review"))
    app.add_exception_handler(CommentGone, _fixed(409, "comment_gone"))
    app.add_exception_handler(ReviewsHidden, _fixed(403, "review_first"))
    app.add_exception_handler(InvalidDecision, _fixed(422, "invalid_decision"))
    app.add_exception_handler(RateLimited, _rate_limited)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(ReportUnreadable, _fixed(409, "report_unreadable"))
    app.add_exception_handler(BlobError, _blob)
