"""Issue 15's Git findings through every route that takes a Git URL or a Git JSON body: malformed
hosts and deeply nested JSON were 500s and are now precise 4xx answers with the project's error
body; a trailing-dot host is bound in canonical form; an invite's bindings are capped."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.services import Services
from runner.settings import Settings
from runner.store import RepoBinding
from tests.fakeservice import stored

MALFORMED = ["https://[github.com]/a", "https://[::1/a", "https://github.com]/a/b"]
DEEP = 20_000  # far past Python's recursion limit (1000), well inside the 64 KiB body limit


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_bindings_per_invite": 2})


def _bindings(svc: Services) -> int:
    with svc.db.reading() as session:
        return session.scalar(select(func.count()).select_from(RepoBinding)) or 0


def _invite(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    made = client.post(
        "/api/invites", json={"challenge": "calculator", "candidate": "A"}, headers=headers
    )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def _assert_refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == code


@pytest.mark.parametrize("url", MALFORMED)
def test_a_malformed_host_is_a_400_on_every_git_route(
    url: str,
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    make_invite: Callable[..., str],
) -> None:
    token = make_invite()
    invite_id = _invite(client, reviewer_headers)["id"]
    bind = {"repo_url": url, "branch": "main", "provider": "github"}
    before = stored(svc)  # the invites' starters may be stored blobs already
    answers = [
        client.post(
            "/api/submissions",
            json={"challenge": "calculator", "git_url": url},
            headers=reviewer_headers,
        ),
        client.post(
            "/api/submissions",
            data={"challenge": "calculator", "git_url": url},
            headers=reviewer_headers,
        ),
        client.post(f"/i/{token}/submissions", data={"git_url": url}),
        client.post(f"/i/{token}/submissions", json={"git_url": url}),
        client.post(f"/api/invites/{invite_id}/bindings", json=bind, headers=reviewer_headers),
        client.post(
            f"/reviewer/invites/{invite_id}/bindings", data=bind, headers=reviewer_headers
        ),
        client.post(f"/i/{token}/bindings", data=bind),
    ]
    for answer in answers:
        _assert_refused(answer, 400, "url_refused")
        assert "malformed" in answer.json()["detail"]
    assert stored(svc) == before
    assert _bindings(svc) == 0


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_deeply_nested_git_json_is_a_400_not_a_recursion_error(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    make_invite: Callable[..., str],
) -> None:
    token = make_invite()
    before = stored(svc)
    body = '{"challenge": "calculator", "git_url": ' + _nested(DEEP) + "}"
    headers = {**reviewer_headers, "Content-Type": "application/json"}
    _assert_refused(
        client.post("/api/submissions", content=body, headers=headers), 400, "malformed_json"
    )
    _assert_refused(
        client.post(f"/i/{token}/submissions", content=body, headers=headers),
        400,
        "malformed_json",
    )
    # Unpaired brackets (no closing ones at all) are refused the same way, before parsing.
    opened = '{"git_url": ' + "[" * DEEP
    _assert_refused(
        client.post("/api/submissions", content=opened, headers=headers), 400, "malformed_json"
    )
    # Brackets inside strings are text, not nesting: a normal body still parses (and its URL
    # is refused for its host, before any DNS lookup: github.com's would depend on the network).
    text = json.dumps({"challenge": "calculator", "git_url": "https://example.org/a[" * 50})
    _assert_refused(
        client.post("/api/submissions", content=text, headers=headers), 400, "url_refused"
    )
    assert stored(svc) == before


def test_deeply_nested_binding_json_is_a_4xx(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str]
) -> None:
    invite_id = _invite(client, reviewer_headers)["id"]
    body = '{"repo_url": ' + _nested(DEEP) + "}"
    answer = client.post(
        f"/api/invites/{invite_id}/bindings",
        content=body,
        headers={**reviewer_headers, "Content-Type": "application/json"},
    )
    assert 400 <= answer.status_code < 500, answer.text
    assert _bindings(svc) == 0


def test_a_trailing_dot_host_is_bound_in_canonical_form(
    client: TestClient, reviewer_headers: dict[str, str]
) -> None:
    invite_id = _invite(client, reviewer_headers)["id"]
    bind = {"repo_url": "https://GitHub.com./Ada/Calc.git", "provider": "github"}
    made = client.post(f"/api/invites/{invite_id}/bindings", json=bind, headers=reviewer_headers)
    assert made.status_code == 201, made.text
    assert made.json()["repo_url"] == "https://github.com/Ada/Calc.git"
    two_dots = {**bind, "repo_url": "https://github.com../Ada/Calc.git"}
    refused = client.post(
        f"/api/invites/{invite_id}/bindings", json=two_dots, headers=reviewer_headers
    )
    _assert_refused(refused, 400, "url_refused")


def test_an_invite_takes_at_most_max_bindings(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
) -> None:
    made = _invite(client, reviewer_headers)
    token = made["link"].rsplit("/", 1)[-1]
    bind = {"repo_url": "https://github.com/ada/calc", "provider": "github"}
    path = f"/api/invites/{made['id']}/bindings"
    for _ in range(2):  # max_bindings_per_invite
        assert client.post(path, json=bind, headers=reviewer_headers).status_code == 201
    over = [
        client.post(path, json=bind, headers=reviewer_headers),
        client.post(
            f"/reviewer/invites/{made['id']}/bindings", data=bind, headers=reviewer_headers
        ),
        client.post(f"/i/{token}/bindings", data=bind),
    ]
    for answer in over:
        _assert_refused(answer, 409, "limit_reached")
        assert "TAKEHOME_MAX_BINDINGS_PER_INVITE" in answer.json()["detail"]
    assert _bindings(svc) == 2
    # Another invite has its own allowance.
    other = _invite(client, reviewer_headers)["id"]
    answer = client.post(f"/api/invites/{other}/bindings", json=bind, headers=reviewer_headers)
    assert answer.status_code == 201
