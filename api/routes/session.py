"""Reviewer login and logout (session cookie; the login form is CSRF-protected too).

Login is throttled per account and per client address (`api.throttle`): while either is locked
out, `POST /login` answers 429 with `Retry-After` and does not check the password. The password
is checked off the event loop (`api.auth.check_password`). Logout revokes the session (every
session cookie of that reviewer issued before it is refused), then drops the cookie.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import (
    check_csrf,
    check_password,
    clear_session,
    csrf_page,
    end_session,
    is_https,
    start_session,
)
from api.openapi import CSRF_FORM, problems, redirect
from api.services import Svc

__all__ = ["router"]

router = APIRouter(tags=["session"])


def _safe_next(target: str) -> str:
    # Only local paths: an open redirect would turn the login page into a phishing aid.
    return target if target.startswith("/") and not target.startswith("//") else "/reviewer"


@router.get("/login", summary="Login form", response_class=HTMLResponse)
def login_form(request: Request, svc: Svc, next: str = "/reviewer") -> Response:
    """The reviewer login form."""
    return csrf_page(request, svc, "login.html", {"next": _safe_next(next), "failed": False})


@router.post(
    "/login",
    summary="Log in",
    status_code=303,
    response_class=RedirectResponse,
    responses={
        303: redirect("Logged in: to `next`, with the session cookie."),
        **problems(
            401,
            403,
            429,
            s401="Wrong e-mail or password: the login form again.",
            s403="`csrf`: the form's CSRF token is missing or wrong.",
            s429="Too many failed logins: the login form again, with `Retry-After`.",
        ),
    },
)
async def login(
    request: Request,
    svc: Svc,
    email: Annotated[str, Form(min_length=1)],  # FastAPI reads an empty field as missing
    password: Annotated[str, Form(min_length=1)],
    next: Annotated[str, Form()] = "/reviewer",
) -> Response:
    """Check the credentials; on success set the session cookie and go to `next`."""
    await check_csrf(request, svc)
    address = request.client.host if request.client else "unknown"
    throttle = svc.login_throttle
    wait = throttle.retry_after(email, address)
    if wait > 0:
        return _throttled(request, svc, next, wait)
    reviewer = await check_password(svc, email, password)
    if reviewer is None:
        throttle.failed(email, address)
        context = {"next": _safe_next(next), "failed": True}
        return csrf_page(request, svc, "login.html", context, status_code=401)
    throttle.succeeded(email)
    response = RedirectResponse(_safe_next(next), status_code=303)
    start_session(
        response,
        svc,
        reviewer.id,
        generation=reviewer.session_generation,
        https=is_https(request, svc),
    )
    return response


def _throttled(request: Request, svc: Svc, next: str, wait: float) -> Response:
    seconds = max(1, math.ceil(wait))
    context = {"next": _safe_next(next), "failed": False, "retry_after": seconds}
    response = csrf_page(request, svc, "login.html", context, status_code=429)
    response.headers["Retry-After"] = str(seconds)
    return response


@router.post(
    "/logout",
    summary="Log out",
    openapi_extra=CSRF_FORM,
    status_code=303,
    response_class=RedirectResponse,
    responses={
        303: redirect("Logged out: to `/login`."),
        **problems(403, s403="`csrf`: the form's CSRF token is missing or wrong."),
    },
)
async def logout(request: Request, svc: Svc) -> Response:
    """Revoke the session and drop its cookie."""
    await check_csrf(request, svc)
    end_session(request, svc)
    response = RedirectResponse("/login", status_code=303)
    clear_session(response)
    return response
