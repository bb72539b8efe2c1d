"""Reviewer authentication: a signed session cookie (pages) or a bearer API token (scripts).

The session cookie holds the reviewer id and an expiry, signed with HMAC-SHA256 under the
service's secret key; it is HttpOnly and SameSite=Lax. CSRF protection is a signed double-submit
token: a random value in a SameSite=Strict cookie, echoed in every form (`csrf_token`) or in the
`X-CSRF-Token` header, and checked on every unsafe request authenticated by cookie (including the
login form, which has no session yet). Bearer-token requests carry no ambient credential, so
they need no CSRF token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Annotated, Any

from fastapi import Depends, Request, Response

from api.errors import CsrfFailed, NotAuthenticated
from api.limits import text_form
from api.pages import render
from api.services import Services, services
from runner.store import Reviewer
from runner.store.records import reviewer_for_token

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "CurrentReviewer",
    "check_csrf",
    "clear_session",
    "csrf_page",
    "current_reviewer",
    "start_session",
]

SESSION_COOKIE = "takehome_session"
CSRF_COOKIE = "takehome_csrf"
_SESSION_SECONDS = 12 * 3600
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _sign(secret: str, purpose: str, value: str) -> str:
    mac = hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def _encode_session(secret: str, reviewer_id: str, now: float) -> str:
    payload = json.dumps({"r": reviewer_id, "e": int(now) + _SESSION_SECONDS})
    body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return f"{body}.{_sign(secret, 'session', body)}"


def _decode_session(secret: str, cookie: str, now: float) -> str | None:
    body, _, mac = cookie.partition(".")
    if not hmac.compare_digest(mac, _sign(secret, "session", body)):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        reviewer_id, expires = str(payload["r"]), int(payload["e"])
    except (ValueError, KeyError, TypeError):
        return None
    return reviewer_id if expires > now else None


def start_session(response: Response, svc: Services, reviewer_id: str) -> None:
    """Log the reviewer in: set the signed session cookie on `response`."""
    response.set_cookie(
        SESSION_COOKIE,
        _encode_session(svc.settings.secret_key, reviewer_id, time.time()),
        max_age=_SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=svc.settings.public_url.startswith("https:"),
    )


def clear_session(response: Response) -> None:
    """Log out: drop the session cookie."""
    response.delete_cookie(SESSION_COOKIE)


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
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict")
    return response


def _valid_csrf(svc: Services, token: str) -> bool:
    nonce, _, mac = token.partition(".")
    return bool(nonce) and hmac.compare_digest(mac, _sign(svc.settings.secret_key, "csrf", nonce))


async def check_csrf(request: Request, svc: Services) -> None:
    """Raise `CsrfFailed` unless the request echoes the CSRF cookie (header or form field)."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get("x-csrf-token", "")
    if not sent and request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        form = await text_form(request, svc.settings.max_form_fields)  # bounded: api.limits
        sent = str(form.get("csrf_token", ""))
    if not (_valid_csrf(svc, cookie) and hmac.compare_digest(sent, cookie)):
        raise CsrfFailed("missing or wrong CSRF token: reload the page and try again")


async def current_reviewer(
    request: Request, svc: Annotated[Services, Depends(services)]
) -> Reviewer:
    """FastAPI dependency: the reviewer behind the bearer token or the session cookie."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    with svc.db.reading() as session:
        if scheme.lower() == "bearer" and token:
            reviewer = reviewer_for_token(session, token.strip())
            if reviewer is None:
                raise NotAuthenticated("unknown API token")
            return reviewer
        cookie = request.cookies.get(SESSION_COOKIE, "")
        reviewer_id = _decode_session(svc.settings.secret_key, cookie, time.time())
        found = session.get(Reviewer, reviewer_id) if reviewer_id else None
    if found is None:
        raise NotAuthenticated()
    if request.method not in _SAFE_METHODS:
        await check_csrf(request, svc)
    return found


#: A route parameter that requires a logged-in reviewer.
CurrentReviewer = Annotated[Reviewer, Depends(current_reviewer)]
