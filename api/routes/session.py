"""Reviewer login and logout (session cookie; the login form is CSRF-protected too)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.auth import check_csrf, clear_session, csrf_page, start_session
from api.services import Svc
from runner.store.records import authenticate

__all__ = ["router"]

router = APIRouter(tags=["session"])


def _safe_next(target: str) -> str:
    # Only local paths: an open redirect would turn the login page into a phishing aid.
    return target if target.startswith("/") and not target.startswith("//") else "/reviewer"


@router.get("/login", summary="Login form")
def login_form(request: Request, svc: Svc, next: str = "/reviewer") -> Response:
    """The reviewer login form."""
    return csrf_page(request, svc, "login.html", {"next": _safe_next(next), "failed": False})


@router.post("/login", summary="Log in")
async def login(
    request: Request,
    svc: Svc,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/reviewer",
) -> Response:
    """Check the credentials; on success set the session cookie and go to `next`."""
    await check_csrf(request, svc)
    with svc.db.reading() as session:
        reviewer = authenticate(session, email, password)
    if reviewer is None:
        context = {"next": _safe_next(next), "failed": True}
        return csrf_page(request, svc, "login.html", context, status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    start_session(response, svc, reviewer.id)
    return response


@router.post("/logout", summary="Log out")
async def logout(request: Request, svc: Svc) -> Response:
    """Drop the session cookie."""
    await check_csrf(request, svc)
    response = RedirectResponse("/login", status_code=303)
    clear_session(response)
    return response
