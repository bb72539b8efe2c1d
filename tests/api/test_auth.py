"""Authentication hardening (issue 15): malformed cookies are no cookie, never a 500; logout
and `users disable` revoke sessions; API tokens expire and can be revoked; the CSRF cookie is
`Secure` over https."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api import create_app
from api.services import Services
from runner.settings import Settings
from runner.store import ApiToken
from runner.store.models import utcnow
from runner.store.records import (
    create_api_token,
    create_reviewer,
    disable_reviewer,
    enable_reviewer,
    revoke_api_token,
    set_password,
)
from tests.fakeservice import fake_pipeline

HTML = {"Accept": "text/html"}
RAW_HTML = {b"accept": b"text/html"}
EMAIL = "rev@example.com"
PASSWORD = "correct horse battery"


@pytest.fixture
def reviewer(svc: Services) -> None:
    create_reviewer(svc.db, EMAIL, PASSWORD)


def _csrf(client: TestClient, path: str = "/login") -> str:
    page = client.get(path, headers=HTML)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def _login(client: TestClient, password: str = PASSWORD) -> int:
    form = {"email": EMAIL, "password": password, "csrf_token": _csrf(client)}
    return client.post("/login", data=form, headers=HTML, follow_redirects=False).status_code


def _raw_cookie(name: str, value: bytes) -> dict[bytes, bytes]:
    """A Cookie header with raw bytes (the HTTP client would refuse a non-ASCII str)."""
    return {b"cookie": name.encode() + b"=" + value}


# --- malformed cookies --------------------------------------------------------------------


@pytest.mark.usefixtures("reviewer")
@pytest.mark.parametrize(
    "value", ["\u00e9t\u00e9".encode(), b"\xff\xfe.\xff", "a.\u00e9".encode(), b"%%%.%%%"]
)
def test_a_malformed_session_cookie_is_no_session(client: TestClient, value: bytes) -> None:
    # Before: hmac.compare_digest raised TypeError on the non-ASCII MAC, a 500.
    headers = _raw_cookie("takehome_session", value)
    assert client.get("/api/submissions", headers=headers).status_code == 401
    page = client.get("/reviewer", headers={**RAW_HTML, **headers}, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login")


@pytest.mark.usefixtures("reviewer")
@pytest.mark.parametrize("value", ["\u00e9t\u00e9".encode(), "nonce.\u00e9".encode(), b"\xff"])
def test_a_planted_csrf_cookie_does_not_break_login(client: TestClient, value: bytes) -> None:
    # A planted non-ASCII CSRF cookie made every GET and POST /login of that browser a 500.
    form_page = client.get("/login", headers={**RAW_HTML, **_raw_cookie("takehome_csrf", value)})
    assert form_page.status_code == 200
    assert "takehome_csrf=" in form_page.headers["set-cookie"]  # a fresh, valid token
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', form_page.text)
    assert fresh
    assert fresh.group(1).isascii()
    posted = client.post(
        "/login",
        content=f"email={EMAIL}&password=x&csrf_token=x".encode(),
        headers={
            **_raw_cookie("takehome_csrf", value),
            b"content-type": b"application/x-www-form-urlencoded",
        },
    )
    assert posted.status_code == 403
    assert posted.json()["error"] == "csrf"


@pytest.mark.usefixtures("reviewer")
def test_a_non_ascii_csrf_field_is_a_403(client: TestClient) -> None:
    token = _csrf(client)
    form = {"email": EMAIL, "password": PASSWORD, "csrf_token": token[:-1] + "\u00e9"}
    response = client.post("/login", data=form)
    assert response.status_code == 403
    header = client.post("/logout", headers={b"x-csrf-token": "\u00e9".encode()})
    assert header.status_code == 403


# --- Secure cookies -----------------------------------------------------------------------


def _cookie_flags(response_headers: list[tuple[str, str]], name: str) -> str:
    found = [v for k, v in response_headers if k == "set-cookie" and v.startswith(f"{name}=")]
    assert len(found) == 1, response_headers
    return found[0].lower()


def test_csrf_cookie_is_not_secure_over_http(client: TestClient) -> None:
    response = client.get("/login", headers=HTML)
    assert "secure" not in _cookie_flags(response.headers.multi_items(), "takehome_csrf")


def test_csrf_cookie_is_secure_when_the_request_is_https(app: FastAPI) -> None:
    with TestClient(app, base_url="https://testserver") as client:
        response = client.get("/login", headers=HTML)
    flags = _cookie_flags(response.headers.multi_items(), "takehome_csrf")
    assert "; secure" in flags
    assert "samesite=strict" in flags


def test_csrf_and_session_cookies_are_secure_when_the_public_url_is_https(
    settings: Settings,
) -> None:
    app = create_app(
        settings.model_copy(update={"public_url": "https://takehome.example"}),
        pipeline_factory=fake_pipeline,
    )
    create_reviewer(app.state.services.db, EMAIL, PASSWORD)
    with TestClient(app) as client:  # the request itself is plain http (a TLS proxy in front)
        page = client.get("/login", headers=HTML)
        assert "; secure" in _cookie_flags(page.headers.multi_items(), "takehome_csrf")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        form = {"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1)}
        # The client keeps a Secure cookie off plain http: send it as the browser would.
        cookie = {"Cookie": f"takehome_csrf={token.group(1)}"}
        response = client.post("/login", data=form, headers=cookie, follow_redirects=False)
    assert response.status_code == 303
    assert "; secure" in _cookie_flags(response.headers.multi_items(), "takehome_session")


# --- revocation ---------------------------------------------------------------------------


@pytest.mark.usefixtures("reviewer")
def test_a_session_cookie_copied_before_logout_is_refused_after_it(client: TestClient) -> None:
    assert _login(client) == 303
    stolen = client.cookies["takehome_session"]
    assert client.get("/api/submissions").status_code == 200
    logout = client.post("/logout", headers={"X-CSRF-Token": _csrf(client, "/reviewer")})
    assert logout.status_code == 200  # followed to the login form
    client.cookies.clear()
    client.cookies.set("takehome_session", stolen)
    # Before: the copied cookie kept working for its 12 hours.
    assert client.get("/api/submissions").status_code == 401
    client.cookies.clear()
    assert _login(client) == 303  # a new login works, with the new generation
    assert client.get("/api/submissions").status_code == 200


@pytest.mark.usefixtures("reviewer")
def test_disabling_a_reviewer_ends_sessions_tokens_and_logins(
    client: TestClient, svc: Services
) -> None:
    token = create_api_token(svc.db, EMAIL)
    bearer = {"Authorization": f"Bearer {token}"}
    assert _login(client) == 303
    assert client.get("/api/submissions").status_code == 200
    assert client.get("/api/submissions", headers=bearer).status_code == 200
    disable_reviewer(svc.db, EMAIL)
    assert client.get("/api/submissions").status_code == 401
    assert client.get("/api/submissions", headers=bearer).status_code == 401
    client.cookies.clear()
    assert _login(client) == 401  # the right password, and still no session
    assert "takehome_session" not in client.cookies


@pytest.mark.usefixtures("reviewer")
def test_an_expired_api_token_is_refused(client: TestClient, svc: Services) -> None:
    token = create_api_token(svc.db, EMAIL, expires_days=1)
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/submissions", headers=bearer).status_code == 200
    with svc.db.writing() as session:
        session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    response = client.get("/api/submissions", headers=bearer)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


@pytest.mark.usefixtures("reviewer")
def test_a_revoked_api_token_is_refused_at_once(client: TestClient, svc: Services) -> None:
    kept = {"Authorization": f"Bearer {create_api_token(svc.db, EMAIL)}"}
    token = create_api_token(svc.db, EMAIL)
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/submissions", headers=bearer).status_code == 200
    with svc.db.reading() as session:
        rows = list(session.scalars(select(ApiToken).order_by(ApiToken.created_at)))
    assert rows[1].last_used_at is not None  # recorded at its first use
    assert rows[0].last_used_at is None
    revoke_api_token(svc.db, rows[1].id[:8])
    assert client.get("/api/submissions", headers=bearer).status_code == 401
    assert client.get("/api/submissions", headers=kept).status_code == 200


@pytest.mark.usefixtures("reviewer")
def test_a_password_change_ends_sessions_and_enable_lets_in_again(
    client: TestClient, svc: Services
) -> None:
    assert _login(client) == 303
    set_password(svc.db, EMAIL, "a brand new password")
    assert client.get("/api/submissions").status_code == 401
    client.cookies.clear()
    assert _login(client, "a brand new password") == 303
    disable_reviewer(svc.db, EMAIL)
    enable_reviewer(svc.db, EMAIL)
    assert client.get("/api/submissions").status_code == 401  # disabling ended that session
    client.cookies.clear()
    assert _login(client, "a brand new password") == 303
    assert client.get("/api/submissions").status_code == 200
