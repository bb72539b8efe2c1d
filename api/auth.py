"""Reviewer authentication: a signed session cookie (pages) or a bearer API token (scripts).

The session cookie holds the reviewer id and an expiry, signed with HMAC-SHA256 under the
service's secret key; it is HttpOnly and SameSite=Lax. CSRF protection is a signed double-submit
token: a random value in a SameSite=Strict cookie, echoed in every form (`csrf_token`) or in the
`X-CSRF-Token` header, and checked on every unsafe request authenticated by cookie (including the
login form, which has no session yet). Bearer-token requests carry no ambient credential, so
they need no CSRF token.

Revocation: the cookie also holds the reviewer's session generation, checked against the
database on every request; logout (and `takehome users disable` or `users password`) bumps it,
so a cookie copied before logout is refused after it, on every device. An API token is refused
once expired, revoked (`takehome tokens revoke`) or its reviewer disabled. A malformed cookie
(not ASCII, bad base64 or JSON, wrong signature) counts as no cookie: 401 or a fresh CSRF token,
never a 500.
Both cookies are `Secure` when the public URL (or the request) is https.

Passwords are checked (argon2id, ~0.1 s and 64 MiB each) on `Services.hash_limiter`'s few
threads, never on the event loop nor in the thread pool the other routes share.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request, Response
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from api.errors import CsrfFailed, NotAuthenticated
from api.limits import text_form
from api.pages import render
from api.services import Services, services
from runner.store import Reviewer
from runner.store.models import utcnow
from runner.store.records import (
    TOKEN_USE_GRANULARITY,
    authenticate,
    end_sessions,
    touch_api_token,
)
from runner.store.token_reads import token_use

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "CurrentReviewer",
    "check_csrf",
    "check_password",
    "clear_session",
    "csrf_page",
    "current_reviewer",
    "end_session",
    "is_https",
    "start_session",
]

SESSION_COOKIE = "takehome_session"
CSRF_COOKIE = "takehome_csrf"
_SESSION_SECONDS = 12 * 3600
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The two ways in, as FastAPI security schemes: read here with auto_error off (this module
# answers 401 itself), declared so that the OpenAPI document lists them (`api.openapi`).
_BEARER = HTTPBearer(
    scheme_name="bearer",
    description="An API token (`takehome tokens create`): `Authorization: Bearer <token>`.",
    auto_error=False,
)
_SESSION = APIKeyCookie(
    name=SESSION_COOKIE,
    scheme_name="session",
    description=(
        "The session cookie set by `POST /login`. A request by cookie with an unsafe method"
        " (POST, PUT, DELETE) also needs the CSRF token of the `takehome_csrf` cookie, echoed"
        " in the `X-CSRF-Token` header or a form's `csrf_token` field."
    ),
    auto_error=False,
)


def _sign(secret: str, purpose: str, value: str) -> str:
    mac = hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def _same(given: str, expected: str) -> bool:
    # compare_digest raises TypeError on a non-ASCII str: such a value is simply not equal.
    return given.isascii() and expected.isascii() and hmac.compare_digest(given, expected)


@dataclass(frozen=True)
class _Claim:
    reviewer_id: str
    generation: int


def _encode_session(secret: str, reviewer_id: str, generation: int, now: float) -> str:
    payload = json.dumps({"r": reviewer_id, "g": generation, "e": int(now) + _SESSION_SECONDS})
    body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return f"{body}.{_sign(secret, 'session', body)}"


def _decode_session(secret: str, cookie: str, now: float) -> _Claim | None:
    body, _, mac = cookie.partition(".")
    if not (body.isascii() and _same(mac, _sign(secret, "session", body))):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        claim = _Claim(str(payload["r"]), int(payload["g"]))
        expires = int(payload["e"])
    except (ValueError, KeyError, TypeError):
        return None
    return claim if expires > now else None


def is_https(request: Request, svc: Services) -> bool:
    """Whether the service is reached over https (its public URL, or this request)."""
    return svc.settings.public_url.startswith("https:") or request.url.scheme == "https"


def start_session(
    response: Response,
    svc: Services,
    reviewer_id: str,
    *,
    generation: int = 0,
    https: bool = False,
) -> None:
    """Log the reviewer in: set the signed session cookie on `response` (`generation`: the
    reviewer's current `session_generation`; `https`: the request came over https)."""
    response.set_cookie(
        SESSION_COOKIE,
        _encode_session(svc.settings.secret_key, reviewer_id, generation, time.time()),
        max_age=_SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=https or svc.settings.public_url.startswith("https:"),
    )


def clear_session(response: Response) -> None:
    """Log out: drop the session cookie."""
    response.delete_cookie(SESSION_COOKIE)


def end_session(request: Request, svc: Services) -> None:
    """Revoke the request's session, if valid: the reviewer's every session cookie is refused
    from now on (their session generation is bumped)."""
    claim = _decode_session(
        svc.settings.secret_key, request.cookies.get(SESSION_COOKIE, ""), time.time()
    )
    if claim is not None:
        end_sessions(svc.db, claim.reviewer_id)


async def check_password(svc: Services, email: str, password: str) -> Reviewer | None:
    """`records.authenticate` on one of the `hash_limiter` threads (a flood of logins waits
    for those, and the event loop and the shared thread pool stay free)."""

    def check() -> Reviewer | None:
        with svc.db.reading() as session:
            return authenticate(session, email, password)

    return await anyio.to_thread.run_sync(check, limiter=svc.hash_limiter)


def csrf_page(
    request: Request, svc: Services, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    """Render a page with forms: its CSRF token in the context, its cookie on the response."""
    token = request.cookies.get(CSRF_COOKIE, "")
    fresh = not _valid_csrf(svc, token)
    if fresh:
        nonce = secrets.token_urlsafe(24)
        token = f"{nonce}.{_sign(svc.settings.secret_key, 'csrf', nonce)}"
    response = render(request, name, {**context, "csrf_token": token}, status_code=status_code)
    if fresh:
        response.set_cookie(
            CSRF_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=is_https(request, svc),
        )
    return response


def _valid_csrf(svc: Services, token: str) -> bool:
    nonce, _, mac = token.partition(".")
    return (
        bool(nonce)
        and nonce.isascii()
        and _same(mac, _sign(svc.settings.secret_key, "csrf", nonce))
    )


async def check_csrf(request: Request, svc: Services) -> None:
    """Raise `CsrfFailed` unless the request echoes the CSRF cookie (header or form field)."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get("x-csrf-token", "")
    if not sent and request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        form = await text_form(request, svc.settings.max_form_fields)  # bounded: api.limits
        sent = str(form.get("csrf_token", ""))
    if not (_valid_csrf(svc, cookie) and _same(sent, cookie)):
        raise CsrfFailed("missing or wrong CSRF token: reload the page and try again")


async def current_reviewer(
    request: Request,
    svc: Annotated[Services, Depends(services)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    cookie: Annotated[str | None, Depends(_SESSION)],
) -> Reviewer:
    """FastAPI dependency: the reviewer behind the bearer token or the session cookie."""
    if bearer is not None and bearer.credentials.strip():
        return _token_reviewer(svc, bearer.credentials.strip())
    claim = _decode_session(svc.settings.secret_key, cookie or "", time.time())
    with svc.db.reading() as session:
        found = session.get(Reviewer, claim.reviewer_id) if claim else None
    if (
        found is None
        or claim is None
        or found.disabled_at is not None
        or found.session_generation != claim.generation
    ):
        raise NotAuthenticated()
    if request.method not in _SAFE_METHODS:
        await check_csrf(request, svc)
    return found


def _token_reviewer(svc: Services, token: str) -> Reviewer:
    # One SELECT of columns on a plain connection (every API request makes it).
    with svc.db.single_read() as connection:
        use = token_use(connection, token)
    if use is None:
        raise NotAuthenticated("unknown, expired or revoked API token")
    if use.last_used_at is None or use.last_used_at < utcnow() - TOKEN_USE_GRANULARITY:
        touch_api_token(svc.db, use.token_id)
    return use.reviewer


#: A route parameter that requires a logged-in reviewer.
CurrentReviewer = Annotated[Reviewer, Depends(current_reviewer)]
