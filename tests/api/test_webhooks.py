"""GitHub and GitLab webhooks end to end: real payload shapes, signatures computed here, a real
Git server on loopback, the real database. Bad deliveries get their 4xx and store nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.services import Services
from runner.settings import Settings
from runner.store import Run, Submission, WebhookDelivery, records
from tests.fakeservice import grade_all, reference_archive, reference_files
from tests.gitserver import GitServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"
# A name no DNS server answers for (RFC 6761 `.invalid`), allow-listed so the lookup happens.
UNRESOLVABLE = "takehome-webhook.invalid"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "git_allowed_hosts": ["127.0.0.1", UNRESOLVABLE],
            "git_allow_loopback": True,
            "git_allow_http": True,
            "webhook_max_bytes": 64 * 1024,
        }
    )


def _invite_id(client: TestClient, headers: dict[str, str], max_submissions: int = 5) -> str:
    made = client.post(
        "/api/invites",
        json={"challenge": "calculator", "candidate": "A", "max_submissions": max_submissions},
        headers=headers,
    )
    assert made.status_code == 201
    return str(made.json()["id"])


def _bind(
    client: TestClient, headers: dict[str, str], invite_id: str, url: str, provider: str
) -> dict[str, Any]:
    made = client.post(
        f"/api/invites/{invite_id}/bindings",
        json={"repo_url": url, "branch": "main", "provider": provider},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def _github_push(url: str, sha: str, ref: str = "refs/heads/main") -> bytes:
    payload = json.loads((FIXTURES / "github_push.json").read_text())
    payload.update(ref=ref, after=sha)
    payload["head_commit"]["id"] = sha
    payload["repository"].update(clone_url=url, html_url=url.removesuffix(".git"), url=url)
    return json.dumps(payload).encode()


def _gitlab_push(url: str, sha: str | None, ref: str = "refs/heads/main") -> bytes:
    payload = json.loads((FIXTURES / "gitlab_push.json").read_text())
    payload.update(ref=ref, after=sha or "0" * 40, checkout_sha=sha)
    payload["project"].update(git_http_url=url, web_url=url.removesuffix(".git"))
    payload["repository"]["git_http_url"] = url
    return json.dumps(payload).encode()


def _signed(secret: str, body: bytes, event: str = "push", delivery: str = "") -> dict[str, str]:
    mac = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-Hub-Signature-256": f"sha256={mac}",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/test",
    }


def _counts(svc: Services) -> tuple[int, int, int]:
    with svc.db.reading() as session:
        return (
            session.scalar(select(func.count()).select_from(Submission)) or 0,
            session.scalar(select(func.count()).select_from(Run)) or 0,
            session.scalar(select(func.count()).select_from(WebhookDelivery)) or 0,
        )


@pytest.fixture
def repo(git_server: GitServer) -> tuple[str, str]:
    """A repository holding the calculator's reference solution: (clone URL, head SHA)."""
    files = reference_files()
    sha = git_server.commit("solution", files)
    return git_server.url("solution"), sha


def test_github_push_becomes_a_submission_once(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    repo: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, sha = repo
    binding = _bind(client, reviewer_headers, _invite_id(client, reviewer_headers), url, "github")
    assert binding["webhook_url"].endswith(f"/webhooks/github/{binding['id']}")
    assert any(binding["secret"] in line for line in binding["instructions"])
    hook = f"/webhooks/github/{binding['id']}"
    body = _github_push(url, sha)
    headers = _signed(binding["secret"], body, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")

    ping = json.dumps(json.loads((FIXTURES / "github_ping.json").read_text())).encode()
    pong = client.post(hook, content=ping, headers=_signed(binding["secret"], ping, "ping"))
    assert (pong.status_code, pong.json()["ok"]) == (200, "pong")

    caplog.set_level(logging.DEBUG)
    first = client.post(hook, content=body, headers=headers)
    assert first.status_code == 202, first.text
    submission = first.json()["submission"]
    assert first.json()["url"] == f"/api/submissions/{submission}"
    shown = client.get(f"/api/submissions/{submission}", headers=reviewer_headers).json()
    assert (shown["repository"], shown["ref"], shown["commit"]) == (url, "refs/heads/main", sha)
    assert shown["source"] == "git"

    again = client.post(hook, content=body, headers=headers)  # GitHub's "Redeliver"
    assert again.status_code == 200
    assert again.json() == {
        "duplicate": True,
        "submission": submission,
        "url": first.json()["url"],
    }
    assert _counts(svc) == (1, 1, 1)
    assert binding["secret"] not in caplog.text


@pytest.mark.parametrize(
    ("mangle", "status", "code"),
    [
        (
            lambda h: {k: v for k, v in h.items() if k != "X-Hub-Signature-256"},
            401,
            "bad_signature",
        ),
        (lambda h: {**h, "X-Hub-Signature-256": "sha256=" + "0" * 64}, 401, "bad_signature"),
        (lambda h: {**h, "X-Hub-Signature-256": "sha1=abc"}, 401, "bad_signature"),
        (
            lambda h: {k: v for k, v in h.items() if k != "X-GitHub-Delivery"},
            400,
            "missing_delivery_id",
        ),
    ],
)
def test_bad_github_deliveries_store_nothing(  # noqa: PLR0917 - fixtures and parameters
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    repo: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
    mangle: Callable[[dict[str, str]], dict[str, str]],
    status: int,
    code: str,
) -> None:
    url, sha = repo
    binding = _bind(client, reviewer_headers, _invite_id(client, reviewer_headers), url, "github")
    body = _github_push(url, sha)
    caplog.set_level(logging.DEBUG)
    response = client.post(
        f"/webhooks/github/{binding['id']}",
        content=body,
        headers=mangle(_signed(binding["secret"], body)),
    )
    assert (response.status_code, response.json()["error"]) == (status, code)
    assert _counts(svc) == (0, 0, 0)
    assert binding["secret"] not in caplog.text


def test_github_refusals_and_ignored_pushes(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str], repo: tuple[str, str]
) -> None:
    url, sha = repo
    binding = _bind(client, reviewer_headers, _invite_id(client, reviewer_headers), url, "github")
    hook, secret = f"/webhooks/github/{binding['id']}", binding["secret"]

    def post(body: bytes, path: str = hook, event: str = "push") -> Any:
        return client.post(path, content=body, headers=_signed(secret, body, event))

    unknown = post(_github_push(url, sha), path=f"/webhooks/github/{uuid.uuid4().hex}")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown_binding")
    other_provider = post(_github_push(url, sha), path=f"/webhooks/gitlab/{binding['id']}")
    assert other_provider.status_code == 404  # a GitHub binding is unknown to /webhooks/gitlab
    malformed = post(b'{"ref": "refs/heads/main", "after": ')
    assert (malformed.status_code, malformed.json()["error"]) == (400, "malformed_payload")
    not_object = post(b"[1, 2]")
    assert (not_object.status_code, not_object.json()["error"]) == (400, "malformed_payload")
    elsewhere = post(_github_push("http://127.0.0.1:1/someone-else.git", sha))
    assert (elsewhere.status_code, elsewhere.json()["error"]) == (422, "unknown_repository")
    oversized = post(b" " * (64 * 1024 + 1))
    assert (oversized.status_code, oversized.json()["error"]) == (413, "too_large")

    deleted = json.loads((FIXTURES / "github_push_deleted.json").read_text())
    deleted["ref"] = "refs/heads/main"
    deleted["repository"]["clone_url"] = url
    gone = post(json.dumps(deleted).encode())
    assert (gone.status_code, gone.json()["ignored"]) == (200, "branch_deleted")
    other = post(_github_push(url, sha, ref="refs/heads/experiment"))
    assert (other.status_code, other.json()["ignored"]) == (200, "other_branch")
    issue = post(b"{}", event="issues")
    assert (issue.status_code, issue.json()["ignored"]) == (200, "event")
    assert _counts(svc) == (0, 0, 0)


def test_gitlab_push_token_and_dedup(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str], repo: tuple[str, str]
) -> None:
    url, sha = repo
    binding = _bind(client, reviewer_headers, _invite_id(client, reviewer_headers), url, "gitlab")
    hook = f"/webhooks/gitlab/{binding['id']}"
    body = _gitlab_push(url, sha)
    base = {"X-Gitlab-Event": "Push Hook", "Content-Type": "application/json"}
    event_uuid = str(uuid.uuid4())

    wrong = client.post(hook, content=body, headers={**base, "X-Gitlab-Token": "guess"})
    assert (wrong.status_code, wrong.json()["error"]) == (401, "bad_signature")
    missing = client.post(hook, content=body, headers=base)
    assert missing.status_code == 401
    assert _counts(svc) == (0, 0, 0)

    good = {**base, "X-Gitlab-Token": binding["secret"], "X-Gitlab-Event-UUID": event_uuid}
    first = client.post(hook, content=body, headers=good)
    assert first.status_code == 202, first.text
    # A retry of the same event (same UUID, same commit) is a duplicate.
    assert client.post(hook, content=body, headers=good).json()["duplicate"] is True
    # Idempotency-Key, when sent, is the key.
    keyed = {**good, "Idempotency-Key": "retry-1", "X-Gitlab-Event-UUID": str(uuid.uuid4())}
    assert client.post(hook, content=body, headers=keyed).status_code == 202
    assert client.post(hook, content=body, headers=keyed).json()["duplicate"] is True
    assert _counts(svc)[0] == 2

    deleted = client.post(hook, content=_gitlab_push(url, None), headers=good)
    assert (deleted.status_code, deleted.json()["ignored"]) == (200, "branch_deleted")
    note = client.post(hook, content=b"{}", headers={**good, "X-Gitlab-Event": "Note Hook"})
    assert (note.status_code, note.json()["ignored"]) == (200, "event")


def test_a_push_supersedes_the_queued_run(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    git_server: GitServer,
) -> None:
    first = git_server.commit("work", {"calculator/__init__.py": b"", "a.py": b"A = 1\n"})
    invite_id = _invite_id(client, reviewer_headers, max_submissions=1)
    url = git_server.url("work")
    binding = _bind(client, reviewer_headers, invite_id, url, "github")
    hook, secret = f"/webhooks/github/{binding['id']}", binding["secret"]

    body = _github_push(url, first)
    old = client.post(hook, content=body, headers=_signed(secret, body)).json()["submission"]
    second = git_server.commit("work", {"a.py": b"A = 2\n"})
    body = _github_push(url, second)
    # The invite allows one submission, but the superseded push does not count.
    reply = client.post(hook, content=body, headers=_signed(secret, body))
    assert reply.status_code == 202, reply.text
    new = reply.json()["submission"]

    older = client.get(f"/api/submissions/{old}", headers=reviewer_headers).json()
    assert (older["state"], older["superseded_by"]) == ("superseded", new)
    claim = svc.queue.claim("test-worker")
    assert claim is not None
    assert (claim.submission_id, claim.run_id) == (new, reply.json()["run"])
    assert svc.queue.claim("test-worker") is None  # the superseded run is never claimed

    timeline = client.get(f"/api/invites/{invite_id}/timeline", headers=reviewer_headers).json()
    assert [(e["commit"], e["state"], e["latest"]) for e in timeline["submissions"]] == [
        (first, "superseded", False),
        (second, "running", True),
    ]
    page = client.get(f"/reviewer/invites/{invite_id}", headers=reviewer_headers)
    assert page.status_code == 200
    assert "latest" in page.text
    assert second[:12] in page.text
    assert "superseded" in page.text


def _push(client: TestClient, binding: dict[str, Any], url: str, sha: str) -> Any:
    body = _github_push(url, sha)
    hook = f"/webhooks/github/{binding['id']}"
    return client.post(hook, content=body, headers=_signed(binding["secret"], body))


def _run_states(svc: Services) -> list[str]:
    with svc.db.reading() as session:
        return sorted(session.scalars(select(Run.state)))


def _queue_an_upload_a_regrade_and_another_push(
    client: TestClient, svc: Services, headers: dict[str, str], url: str, sha: str
) -> dict[str, Any]:
    """An invite with a graded push now regraded, an upload and a push through a second
    binding, all queued; the first binding (GitHub)."""
    made = client.post(
        "/api/invites",
        json={"challenge": "calculator", "candidate": "A", "max_submissions": 5},
        headers=headers,
    ).json()
    github = _bind(client, headers, made["id"], url, "github")
    gitlab = _bind(client, headers, made["id"], url, "gitlab")
    graded = _push(client, github, url, sha).json()
    assert grade_all(svc) == [graded["run"]]
    regrade = client.post(f"/api/submissions/{graded['submission']}/regrade", headers=headers)
    upload = client.post(
        f"/i/{made['link'].rsplit('/', 1)[-1]}/submissions",
        files={"archive": ("s.tar.gz", reference_archive())},
    )
    other = client.post(
        f"/webhooks/gitlab/{gitlab['id']}",
        content=_gitlab_push(url, sha),
        headers={
            "X-Gitlab-Event": "Push Hook",
            "X-Gitlab-Token": gitlab["secret"],
            "X-Gitlab-Event-UUID": str(uuid.uuid4()),
            "Content-Type": "application/json",
        },
    )
    assert (regrade.status_code, upload.status_code, other.status_code) == (202, 202, 202)
    return github


def test_a_push_supersedes_only_its_own_bindings_queued_pushes(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str], repo: tuple[str, str]
) -> None:
    url, sha = repo
    github = _queue_an_upload_a_regrade_and_another_push(client, svc, reviewer_headers, url, sha)
    # The regrade, the upload and the other binding's push stay queued.
    newest = _push(client, github, url, sha)
    assert newest.status_code == 202, newest.text
    assert _run_states(svc) == ["done"] + ["queued"] * 4
    # A later push through the same binding supersedes that queued push, and only it.
    latest = _push(client, github, url, sha)
    assert latest.status_code == 202, latest.text
    assert _run_states(svc) == ["done"] + ["queued"] * 4 + ["superseded"]
    with svc.db.reading() as session:
        replaced = session.get(Submission, newest.json()["submission"])
        assert replaced is not None
        assert replaced.superseded_by == latest.json()["submission"]


def test_pushes_are_capped_superseded_ones_included(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    repo: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(records, "PUSH_CAP_FACTOR", 2)  # the cap: 2 x max_submissions (1)
    url, sha = repo
    invite_id = _invite_id(client, reviewer_headers, max_submissions=1)
    binding = _bind(client, reviewer_headers, invite_id, url, "github")
    assert _push(client, binding, url, sha).status_code == 202
    assert _push(client, binding, url, sha).status_code == 202  # supersedes the first
    assert _counts(svc) == (2, 2, 2)
    refused = _push(client, binding, url, sha)
    assert (refused.status_code, refused.json()["error"]) == (409, "limit_reached")
    assert "2 pushes" in refused.json()["detail"]
    assert _counts(svc) == (2, 2, 2)


def test_repository_path_matches_whatever_its_case(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str], repo: tuple[str, str]
) -> None:
    url, sha = repo  # bound as typed: .../solution.git
    binding = _bind(client, reviewer_headers, _invite_id(client, reviewer_headers), url, "github")
    canonical = url.replace("/solution.git", "/Solution.git")
    assert canonical != url
    accepted = _push(client, binding, canonical, sha)
    assert accepted.status_code == 202, accepted.text
    with svc.db.reading() as session:
        stored = session.get(Submission, accepted.json()["submission"])
        assert stored is not None
        assert stored.repo_url == url  # the bound URL is what was cloned and recorded


def test_the_push_cap_is_the_invites_whatever_the_number_of_bindings(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    repo: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A second binding on the same invite adds no pushes: the cap counts all of them."""
    monkeypatch.setattr(records, "PUSH_CAP_FACTOR", 2)  # the cap: 2 x max_submissions (1)
    url, sha = repo
    invite_id = _invite_id(client, reviewer_headers, max_submissions=1)
    first = _bind(client, reviewer_headers, invite_id, url, "github")
    second = _bind(client, reviewer_headers, invite_id, url, "github")
    assert _push(client, first, url, sha).status_code == 202
    assert _push(client, first, url, sha).status_code == 202
    assert _counts(svc) == (2, 2, 2)
    refused = _push(client, second, url, sha)
    assert (refused.status_code, refused.json()["error"]) == (409, "limit_reached")
    assert "2 pushes in all" in refused.json()["detail"]
    assert _counts(svc) == (2, 2, 2)


def test_a_binding_id_must_match_exactly(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str], repo: tuple[str, str]
) -> None:
    """Ids were cut to 32 characters, so `<id>anything` reached the binding."""
    url, sha = repo
    binding = _bind(client, reviewer_headers, _invite_id(client, reviewer_headers), url, "github")
    body = _github_push(url, sha)
    for wrong in (f"{binding['id']}x", f"{binding['id']}{'0' * 32}", binding["id"].upper()):
        refused = client.post(
            f"/webhooks/github/{wrong}", content=body, headers=_signed(binding["secret"], body)
        )
        assert (refused.status_code, refused.json()["error"]) == (404, "unknown_binding")
    assert _counts(svc) == (0, 0, 0)
    exact = f"/webhooks/github/{binding['id']}"
    assert (
        client.post(exact, content=body, headers=_signed(binding["secret"], body)).status_code
        == 202
    )


def test_deeply_nested_signed_json_is_a_400(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str], repo: tuple[str, str]
) -> None:
    """A signed body nested past Python's recursion limit raised RecursionError (a 500)."""
    url, _sha = repo
    github = _bind(client, reviewer_headers, _invite_id(client, reviewer_headers), url, "github")
    gitlab = _bind(client, reviewer_headers, _invite_id(client, reviewer_headers), url, "gitlab")
    depth = 30_000  # inside webhook_max_bytes (64 KiB here)
    body = ('{"ref": ' + "[" * depth + "]" * depth + "}").encode()
    refused = client.post(
        f"/webhooks/github/{github['id']}", content=body, headers=_signed(github["secret"], body)
    )
    assert (refused.status_code, refused.json()["error"]) == (400, "malformed_payload")
    assert "deeper than" in refused.json()["detail"]
    headers = {
        "X-Gitlab-Event": "Push Hook",
        "X-Gitlab-Token": gitlab["secret"],
        "X-Gitlab-Event-UUID": str(uuid.uuid4()),
        "Content-Type": "application/json",
    }
    refused = client.post(f"/webhooks/gitlab/{gitlab['id']}", content=body, headers=headers)
    assert (refused.status_code, refused.json()["error"]) == (400, "malformed_payload")
    assert _counts(svc) == (0, 0, 0)


def _form(body: bytes) -> bytes:
    """`body` as GitHub sends it with the content type `application/x-www-form-urlencoded`."""
    return urlencode({"payload": body.decode()}).encode()


def _signed_form(secret: str, form: bytes, event: str = "push") -> dict[str, str]:
    return {**_signed(secret, form, event), "Content-Type": "application/x-www-form-urlencoded"}


def test_github_form_encoded_deliveries_work_like_json(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str], repo: tuple[str, str]
) -> None:
    """GitHub's REST default content type: `payload=<urlencoded JSON>`, signed as sent."""
    url, sha = repo
    binding = _bind(client, reviewer_headers, _invite_id(client, reviewer_headers), url, "github")
    hook, secret = f"/webhooks/github/{binding['id']}", binding["secret"]
    ping = _form((FIXTURES / "github_ping.json").read_bytes())
    pong = client.post(hook, content=ping, headers=_signed_form(secret, ping, "ping"))
    assert (pong.status_code, pong.json()["ok"]) == (200, "pong")

    json_body = _github_push(url, sha)
    as_json = client.post(hook, content=json_body, headers=_signed(secret, json_body))
    form = _form(json_body)
    assert form.startswith(b"payload=%7B%22")  # the real encoding: percent-escaped JSON
    # The signature is over the raw body: the JSON's signature does not sign its form.
    wrong = {**_signed(secret, json_body), "Content-Type": "application/x-www-form-urlencoded"}
    refused = client.post(hook, content=form, headers=wrong)
    assert (refused.status_code, refused.json()["error"]) == (401, "bad_signature")
    as_form = client.post(hook, content=form, headers=_signed_form(secret, form))
    assert (as_json.status_code, as_form.status_code) == (202, 202), as_form.text
    assert as_form.json()["commit"] == as_json.json()["commit"] == sha
    shown = client.get(as_form.json()["url"], headers=reviewer_headers).json()
    assert (shown["repository"], shown["ref"], shown["commit"]) == (url, "refs/heads/main", sha)

    deleted = json.loads((FIXTURES / "github_push_deleted.json").read_text())
    deleted["ref"] = "refs/heads/main"
    deleted["repository"]["clone_url"] = url
    gone_body = _form(json.dumps(deleted).encode())
    gone = client.post(hook, content=gone_body, headers=_signed_form(secret, gone_body))
    assert (gone.status_code, gone.json()["ignored"]) == (200, "branch_deleted")
    assert _counts(svc) == (2, 2, 2)


@pytest.mark.parametrize(
    "form",
    [
        b"",
        b"ref=refs%2Fheads%2Fmain",  # no payload field
        b"payload=" + quote('{"ref": "refs/heads/main", "after": ').encode(),  # invalid JSON
        b"payload=%5B1%2C2%5D",  # JSON, not an object
        b"payload=%7B%7D&payload=%7B%7D",  # two payloads
        b"payload",  # a field without '='
        b"payload=%FF",  # not UTF-8
    ],
)
def test_malformed_github_forms_are_400(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    repo: tuple[str, str],
    form: bytes,
) -> None:
    url, _sha = repo
    binding = _bind(client, reviewer_headers, _invite_id(client, reviewer_headers), url, "github")
    answer = client.post(
        f"/webhooks/github/{binding['id']}",
        content=form,
        headers=_signed_form(binding["secret"], form),
    )
    assert (answer.status_code, answer.json()["error"]) == (400, "malformed_payload")
    assert _counts(svc) == (0, 0, 0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed: nothing listens there


@pytest.mark.parametrize(
    "url",
    [f"https://{UNRESOLVABLE}/ada/calc.git", "http://127.0.0.1:{port}/calc.git"],
    ids=["dns", "connection-refused"],
)
def test_an_unreachable_repository_is_503_and_stores_nothing(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """DNS or network failure fetching the bound repository: 503 with Retry-After, not the 400
    of a refused URL or the 422 of a repository that cannot be fetched; a redelivery retries."""
    url = url.format(port=_free_port())
    sha = "1" * 40
    invite_id = _invite_id(client, reviewer_headers)
    github = _bind(client, reviewer_headers, invite_id, url, "github")
    gitlab = _bind(client, reviewer_headers, invite_id, url, "gitlab")
    body = _github_push(url, sha)
    headers = _signed(github["secret"], body, delivery=str(uuid.uuid4()))
    gitlab_headers = {
        "X-Gitlab-Event": "Push Hook",
        "X-Gitlab-Token": gitlab["secret"],
        "X-Gitlab-Event-UUID": str(uuid.uuid4()),
        "Content-Type": "application/json",
    }
    for _attempt in range(2):  # the same delivery again: nothing was recorded, so not a duplicate
        answers = [
            client.post(f"/webhooks/github/{github['id']}", content=body, headers=headers),
            client.post(
                f"/webhooks/gitlab/{gitlab['id']}",
                content=_gitlab_push(url, sha),
                headers=gitlab_headers,
            ),
        ]
        for answer in answers:
            assert (answer.status_code, answer.json()["error"]) == (503, "repo_unreachable")
            assert int(answer.headers["Retry-After"]) > 0
        assert _counts(svc) == (0, 0, 0)
    assert f"binding {github['id']}: repo_unreachable" in caplog.text
    assert github["secret"] not in caplog.text
