"""Git URL submissions through the API and the candidate's page, graded by the fake pipeline;
refusals (option injection, internal addresses, unknown refs) store nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.clones import CloneSlots
from api.services import Services
from runner.settings import Settings
from runner.store import Submission
from tests.api.conftest import grade_all, reference_files, stored
from tests.gitserver import GitServer


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "git_allowed_hosts": ["127.0.0.1", "10.0.0.1", "169.254.169.254", "fd00::1"],
            "git_allow_loopback": True,
            "git_allow_http": True,
        }
    )


@pytest.fixture
def solution(git_server: GitServer) -> tuple[str, str]:
    files = reference_files()
    return git_server.url("solution"), git_server.commit("solution", files)


def test_git_url_through_the_api_is_graded_with_provenance(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    solution: tuple[str, str],
) -> None:
    url, sha = solution
    response = client.post(
        "/api/submissions",
        json={"challenge": "calculator", "git_url": url, "ref": "main"},
        headers=reviewer_headers,
    )
    assert response.status_code == 202, response.text
    submission = response.json()["id"]
    assert len(grade_all(svc)) == 1
    shown = client.get(f"/api/submissions/{submission}", headers=reviewer_headers).json()
    assert (shown["state"], shown["source"], shown["commit"], shown["ref"]) == (
        "done",
        "git",
        sha,
        "main",
    )
    report = client.get(f"/api/submissions/{submission}/report", headers=reviewer_headers)
    assert report.status_code == 200
    assert report.json()["categories"]["tests"]["score"] > 0  # the fake run's hidden tests
    page = client.get(
        f"/reviewer/submissions/{submission}", headers={**reviewer_headers, "Accept": "text/html"}
    )
    assert sha in page.text
    assert url in page.text


def test_candidate_submits_a_repository_and_binds_it(
    client: TestClient,
    svc: Services,
    make_invite: Callable[..., str],
    solution: tuple[str, str],
) -> None:
    url, sha = solution
    token = make_invite()
    page = client.get(f"/i/{token}", headers={"Accept": "text/html"})
    assert 'name="git_url"' in page.text
    form = client.post(
        f"/i/{token}/submissions",
        data={"git_url": url, "ref": sha},
        headers={"Accept": "text/html"},
        follow_redirects=False,
    )
    assert form.status_code == 303
    assert form.headers["location"].startswith(f"/i/{token}/submissions/")
    with svc.db.reading() as session:
        stored = session.scalars(select(Submission)).one()
    assert (stored.commit_sha, stored.repo_url) == (sha, url)

    bound = client.post(
        f"/i/{token}/bindings",
        data={"repo_url": url, "branch": "main", "provider": "gitlab"},
        headers={"Accept": "text/html"},
    )
    assert bound.status_code == 201
    assert "Secret token:" in bound.text
    assert "/webhooks/gitlab/" in bound.text
    wrong = {"repo_url": url, "branch": "main", "provider": "svn"}
    assert client.post(f"/i/{token}/bindings", data=wrong).status_code == 422


@pytest.mark.parametrize(
    ("git_url", "ref", "status", "code"),
    [
        ("--upload-pack=touch /tmp/takehome-pwned", "", 400, "url_refused"),
        ("ext::sh -c touch% /tmp/takehome-pwned", "", 400, "url_refused"),
        ("file:///etc", "", 400, "url_refused"),
        ("https://10.0.0.1/team/repo.git", "", 403, "address_refused"),
        ("https://169.254.169.254/latest/meta-data", "", 403, "address_refused"),
        ("https://[fd00::1]/repo.git", "", 403, "address_refused"),
        ("https://gitlab.com/team/repo.git", "", 400, "url_refused"),
        ("{server}", "--upload-pack=touch /tmp/takehome-pwned", 400, "bad_ref"),
        ("{server}", "no-such-branch", 422, "fetch_failed"),
        ("", "", 400, "missing_git_url"),
    ],
)
def test_refused_git_submissions_store_nothing(  # noqa: PLR0917 - fixtures and parameters
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    solution: tuple[str, str],
    git_url: str,
    ref: str,
    status: int,
    code: str,
) -> None:
    url = git_url.replace("{server}", solution[0])
    response = client.post(
        "/api/submissions",
        json={"challenge": "calculator", "git_url": url, "ref": ref},
        headers=reviewer_headers,
    )
    assert (response.status_code, response.json()["error"]) == (status, code)
    assert stored(svc) == (0, 0, 0)


def test_binding_and_timeline_routes_by_role(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    make_invite: Callable[..., str],
    solution: tuple[str, str],
) -> None:
    del svc
    token = make_invite()
    made = client.post(
        "/api/invites",
        json={"challenge": "calculator", "candidate": "Z"},
        headers=reviewer_headers,
    )
    invite_id = made.json()["id"]
    bind = {"repo_url": solution[0], "branch": "main", "provider": "github"}
    routes = [
        ("POST", f"/api/invites/{invite_id}/bindings", {"json": bind}),
        ("GET", f"/api/invites/{invite_id}/timeline", {}),
        ("GET", f"/reviewer/invites/{invite_id}", {}),
        ("POST", f"/reviewer/invites/{invite_id}/bindings", {"data": bind}),
    ]
    for method, path, kwargs in routes:
        for headers in ({}, {"Authorization": f"Bearer {token}"}, {"Authorization": "Bearer x"}):
            response = client.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]
            assert response.status_code == 401, (method, path, headers)
    assert client.post("/i/forged/bindings", data=bind).status_code == 404
    ok = client.post(f"/api/invites/{invite_id}/bindings", json=bind, headers=reviewer_headers)
    assert ok.status_code == 201
    timeline = client.get(f"/api/invites/{invite_id}/timeline", headers=reviewer_headers)
    assert timeline.json()["bindings"][0]["id"] == ok.json()["id"]
    assert "secret" not in timeline.json()["bindings"][0]  # shown once, at creation only


def test_cookie_session_git_form_is_accepted(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    solution: tuple[str, str],
) -> None:
    """The CSRF check reads the form first; the Git intake must still read its fields."""
    del reviewer_headers  # creates the reviewer; this test logs in with the session cookie
    html = {"Accept": "text/html"}

    def csrf(path: str) -> str:
        found = re.search(
            r'name="csrf_token" value="([^"]+)"', client.get(path, headers=html).text
        )
        assert found
        return found.group(1)

    login = {"email": "rev@example.com", "password": "correct horse battery"}
    logged_in = client.post(
        "/login", data={**login, "csrf_token": csrf("/login")}, follow_redirects=False
    )
    assert logged_in.status_code == 303
    form = {"challenge": "calculator", "git_url": solution[0], "ref": "main"}
    response = client.post("/api/submissions", data={**form, "csrf_token": csrf("/reviewer")})
    assert response.status_code == 202, response.text
    assert stored(svc) == (1, 1, 1)
    crowded = {**form, **{f"x{i}": "1" for i in range(20)}, "csrf_token": csrf("/reviewer")}
    too_many = client.post("/api/submissions", data=crowded)
    assert (too_many.status_code, too_many.json()["error"]) == (400, "malformed_form")
    assert stored(svc) == (1, 1, 1)


def test_missing_git_answers_503_and_stores_nothing(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: git cannot be started
    response = client.post(
        "/api/submissions",
        json={"challenge": "calculator", "git_url": "http://127.0.0.1:9/a.git"},
        headers=reviewer_headers,
    )
    assert (response.status_code, response.json()["error"]) == (503, "git_unavailable")
    assert stored(svc) == (0, 0, 0)


def test_busy_clone_slots_answer_503_with_retry_after(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    solution: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slots = CloneSlots(1)
    monkeypatch.setattr(svc, "clone_slots", slots)
    body = {"challenge": "calculator", "git_url": solution[0]}
    assert slots.try_take()  # another clone holds the only slot
    busy = client.post("/api/submissions", json=body, headers=reviewer_headers)
    assert (busy.status_code, busy.json()["error"]) == (503, "queue_full")
    assert int(busy.headers["Retry-After"]) > 0
    assert stored(svc) == (0, 0, 0)
    slots.give_back()
    free = client.post("/api/submissions", json=body, headers=reviewer_headers)
    assert free.status_code == 202, free.text
    assert slots.try_take()  # the clone gave its slot back
