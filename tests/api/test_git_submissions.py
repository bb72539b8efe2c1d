"""Git URL submissions through the API and the candidate's page, graded by the fake pipeline;
refusals (option injection, internal addresses, unknown refs) store nothing."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.services import Services
from runner.settings import Settings
from runner.store import Run, Submission
from tests.api.conftest import grade_all, reference_archive
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
    with tarfile.open(fileobj=io.BytesIO(reference_archive()), mode="r:gz") as archive:
        files = {
            m.name: archive.extractfile(m).read()  # type: ignore[union-attr]
            for m in archive.getmembers()
            if m.isfile()
        }
    return git_server.url("solution"), git_server.commit("solution", files)


def _stored(svc: Services) -> tuple[int, int]:
    with svc.db.reading() as session:
        return (
            session.scalar(select(func.count()).select_from(Submission)) or 0,
            session.scalar(select(func.count()).select_from(Run)) or 0,
        )


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
    assert _stored(svc) == (0, 0)


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
