"""Reviewer login with a session cookie, and CSRF protection on every cookie-authenticated form."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.services import Services
from runner.store.records import create_reviewer

HTML = {"Accept": "text/html"}


@pytest.fixture
def reviewer(svc: Services) -> None:
    create_reviewer(svc.db, "Rev@Example.com", "correct horse battery")


def _csrf(client: TestClient, path: str) -> str:
    page = client.get(path, headers=HTML)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


PASSWORD = "correct horse battery"


def _login(client: TestClient, password: str = PASSWORD) -> int:
    token = _csrf(client, "/login")
    form = {"email": "rev@example.com", "password": password, "csrf_token": token}
    response = client.post("/login", data=form, headers=HTML, follow_redirects=False)
    return response.status_code


@pytest.mark.usefixtures("reviewer")
def test_login_dashboard_invite_logout(client: TestClient) -> None:
    assert _login(client) == 303
    token = _csrf(client, "/reviewer")
    form = {"challenge": "calculator", "candidate": "Ada", "csrf_token": token}
    created = client.post("/reviewer/invites", data=form, headers=HTML)
    assert created.status_code == 201
    link = re.search(r'<pre id="invite-link">([^<]+)</pre>', created.text)
    assert link
    assert link.group(1).startswith("http://testserver/i/")
    assert "Ada" in client.get("/reviewer", headers=HTML).text
    logout = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert logout.status_code == 303
    after = client.get("/reviewer", headers=HTML, follow_redirects=False)
    assert after.status_code == 303


@pytest.mark.usefixtures("reviewer")
def test_wrong_password(client: TestClient) -> None:
    assert _login(client, password="wrong password") == 401


@pytest.mark.usefixtures("reviewer")
def test_login_without_csrf_is_refused(client: TestClient) -> None:
    form = {"email": "rev@example.com", "password": "correct horse battery"}
    response = client.post("/login", data=form, follow_redirects=False)
    assert response.status_code == 403


@pytest.mark.usefixtures("reviewer")
@pytest.mark.parametrize("token", ["", "forged.value", "missing"])
def test_forms_without_the_csrf_token_are_refused(client: TestClient, token: str) -> None:
    assert _login(client) == 303
    form = {"challenge": "calculator", "candidate": "Eve"}
    if token != "missing":
        form["csrf_token"] = token
    response = client.post("/reviewer/invites", data=form)
    assert response.status_code == 403
    assert response.json()["error"] == "csrf"


@pytest.mark.usefixtures("reviewer")
def test_json_writes_with_a_cookie_need_the_csrf_header(client: TestClient) -> None:
    assert _login(client) == 303
    body = {"challenge": "calculator", "candidate": "Eve"}
    assert client.post("/api/invites", json=body).status_code == 403
    token = _csrf(client, "/reviewer")
    response = client.post("/api/invites", json=body, headers={"X-CSRF-Token": token})
    assert response.status_code == 201


@pytest.mark.usefixtures("reviewer")
def test_tampered_session_cookie_is_refused(client: TestClient) -> None:
    assert _login(client) == 303
    cookie = client.cookies["takehome_session"]
    client.cookies.clear()
    client.cookies.set("takehome_session", cookie[:-2] + "xx")
    assert client.get("/api/submissions").status_code == 401


@pytest.mark.usefixtures("reviewer")
def test_login_redirect_stays_on_this_site(client: TestClient) -> None:
    token = _csrf(client, "/login")
    form = {
        "email": "rev@example.com",
        "password": "correct horse battery",
        "csrf_token": token,
        "next": "//evil.example/",
    }
    response = client.post("/login", data=form, follow_redirects=False)
    assert response.headers["location"] == "/reviewer"
