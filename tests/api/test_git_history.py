"""The Git history timeline through the service, from a real Git server on loopback: a candidate's
repository built on the starter with backdated and late commits, one not built on it, a webhook
push, blind mode, uploads; reviewers only, and the score never moves."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.blinding import HIDDEN
from api.services import Services
from runner.settings import Settings
from runner.store.records import start_clock
from tests.fakeservice import grade_all, reference_archive, reference_files
from tests.gitserver import GitServer, git

_HTML = {"Accept": "text/html"}
_AUTHOR = ("Grace Hopper", "grace@example.com")
_WEBHOOKS = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "git_allowed_hosts": ["127.0.0.1"],
            "git_allow_loopback": True,
            "git_allow_http": True,
            "git_history_bulk_lines": 20,
        }
    )


def _invite(client: TestClient, headers: dict[str, str], **extra: object) -> tuple[str, str]:
    body = {"challenge": "calculator", "candidate": "Ada", "time_limit_hours": 2, **extra}
    made = client.post("/api/invites", json=body, headers=headers)
    assert made.status_code == 201, made.text
    return str(made.json()["id"]), str(made.json()["link"]).rsplit("/", 1)[1]


def _on_starter(client: TestClient, token: str, into: Path, git_server: GitServer) -> Path:
    """The candidate's starter download, unpacked: a work tree whose repository pushes to the
    served repository `mine`."""
    answer = client.get(f"/i/{token}/starter.zip")
    assert answer.status_code == 200
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        archive.extractall(into)
    folder = into / "calculator"
    bare = git_server.root / "mine.git"
    git("init", "--quiet", "--bare", "--initial-branch=main", bare, cwd=into, home=git_server.home)
    git("config", "uploadpack.allowAnySHA1InWant", "true", cwd=bare, home=git_server.home)
    git("remote", "add", "origin", bare, cwd=folder, home=git_server.home)
    return folder


def _commit(
    folder: Path, home: Path, files: dict[str, bytes], message: str, date: str | None = None
) -> str:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    env = {"GIT_AUTHOR_NAME": _AUTHOR[0], "GIT_AUTHOR_EMAIL": _AUTHOR[1]}
    if date is not None:
        env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    git("add", "--all", cwd=folder, home=home)
    git("commit", "--quiet", "-m", message, cwd=folder, home=home, env=env)
    git("push", "--quiet", "--force", "origin", "HEAD:refs/heads/main", cwd=folder, home=home)
    return git("rev-parse", "HEAD", cwd=folder, home=home)


def _submit(client: TestClient, token: str, url: str) -> str:
    answer = client.post(f"/i/{token}/submissions", json={"git_url": url})
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def _history(client: TestClient, headers: dict[str, str], submission: str) -> dict[str, Any]:
    answer = client.get(f"/api/submissions/{submission}/history", headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _signals(body: dict[str, Any]) -> dict[str, list[str]]:
    return {s["code"]: s["commits"] for s in body["signals"]}


def test_timeline_of_a_repository_built_on_the_starter_flags_dates(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    git_server: GitServer,
    tmp_path: Path,
) -> None:
    invite_id, token = _invite(client, reviewer_headers)
    start_clock(svc.db, invite_id)
    folder = _on_starter(client, token, tmp_path, git_server)
    starter = git("rev-parse", "HEAD", cwd=folder, home=git_server.home)
    home = git_server.home
    files = reference_files()
    old = _commit(folder, home, {"notes.txt": b"a\n"}, "old work", "2020-01-01T00:00:00+00:00")
    bulk = _commit(folder, home, files, "the solution")
    late = _commit(folder, home, {"notes.txt": b"b\n"}, "after hours", "2099-01-01T00:00:00Z")
    submission = _submit(client, token, git_server.url("mine"))
    grade_all(svc)

    body = _history(client, reviewer_headers, submission)
    assert body["available"]
    assert body["complete"]
    assert [c["sha"] for c in body["commits"]] == [late, bulk, old, starter]
    assert body["starter_commit"] == starter
    assert _signals(body) == {
        "one_commit": [bulk],
        "before_invite": [old],
        "after_deadline": [late],
    }
    assert body["commits"][0]["author_name"] == _AUTHOR[0]
    assert body["commits"][0]["marks"] == ["after_deadline"]
    assert body["commits"][-1]["marks"] == []  # the starter's fixed 2000 date is not a signal
    assert "signals" in body["caution"]
    assert "not proof" in body["caution"]

    page = client.get(f"/reviewer/submissions/{submission}", headers={**_HTML, **reviewer_headers})
    assert page.status_code == 200
    assert 'id="history-timeline"' in page.text
    for text in ("the solution", "after hours", _AUTHOR[0], "Commits dated after the deadline"):
        assert text in page.text
    assert 'data-signal="before_invite"' in page.text
    assert "no_starter" not in page.text

    status = client.get(f"/i/{token}/submissions/{submission}", headers=_HTML)
    assert status.status_code == 200
    assert "after hours" not in status.text
    assert "Git history" not in status.text
    candidate = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/submissions/{submission}/history", headers=candidate).status_code == (
        401
    )


def test_a_history_without_the_starter_commit_is_flagged(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    git_server: GitServer,
) -> None:
    _invite_id, token = _invite(client, reviewer_headers)
    client.get(f"/i/{token}/starter.zip")  # the starter download exists
    git_server.commit("fresh", {"calc/__init__.py": b"X = 1\n"}, author=_AUTHOR)
    submission = _submit(client, token, git_server.url("fresh"))
    body = _history(client, reviewer_headers, submission)
    assert list(_signals(body)) == ["no_starter"]
    page = client.get(f"/reviewer/submissions/{submission}", headers={**_HTML, **reviewer_headers})
    assert "The history does not contain the starter commit" in page.text
    del svc


def test_blind_mode_hides_every_author(
    client: TestClient,
    reviewer_headers: dict[str, str],
    git_server: GitServer,
) -> None:
    _invite_id, token = _invite(client, reviewer_headers, blind=True)
    git_server.commit("blind", {"a.py": b"x = 1\n"}, author=_AUTHOR, message="first")
    git_server.commit("blind", {"a.py": b"x = 2\n"}, author=_AUTHOR, message="second")
    submission = _submit(client, token, git_server.url("blind"))
    body = _history(client, reviewer_headers, submission)
    assert [c["subject"] for c in body["commits"]] == ["second", "first"]
    assert {(c["author_name"], c["author_email"]) for c in body["commits"]} == {(HIDDEN, HIDDEN)}
    assert _AUTHOR[0] not in json.dumps(body)
    assert _AUTHOR[1] not in json.dumps(body)
    page = client.get(f"/reviewer/submissions/{submission}", headers={**_HTML, **reviewer_headers})
    assert "second" in page.text
    assert _AUTHOR[0] not in page.text
    assert _AUTHOR[1] not in page.text


def test_blind_mode_scrubs_the_owner_and_name_from_merge_subjects(
    client: TestClient,
    reviewer_headers: dict[str, str],
    git_server: GitServer,
) -> None:
    _invite_id, token = _invite(client, reviewer_headers, blind=True, candidate="Ada Lovelace")
    name = "ada-lovelace/takehome"
    subjects = [
        "Merge pull request #3 from Ada-Lovelace/fix-tests",
        "Merge branch 'main' of github.com:ada-lovelace/takehome",
        "Thanks, ada lovelace; adam-lovelace and ada-lovelaces stay",
    ]
    for n, subject in enumerate(subjects):
        git_server.commit(name, {"a.py": f"x = {n}\n".encode()}, author=_AUTHOR, message=subject)
    submission = _submit(client, token, git_server.url(name))
    body = _history(client, reviewer_headers, submission)
    assert [c["subject"] for c in body["commits"]] == [
        f"Thanks, {HIDDEN}; adam-lovelace and ada-lovelaces stay",
        f"Merge branch 'main' of github.com:{HIDDEN}",
        f"Merge pull request #3 from {HIDDEN}/fix-tests",
    ]
    page = client.get(f"/reviewer/submissions/{submission}", headers={**_HTML, **reviewer_headers})
    assert page.status_code == 200
    assert "fix-tests" in page.text
    for shown in (json.dumps(body).lower(), page.text.lower()):
        assert "ada-lovelace/" not in shown
        assert "from ada-lovelace" not in shown
        assert "ada lovelace" not in shown


def test_uploads_have_no_history_and_signals_never_move_the_score(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    git_server: GitServer,
) -> None:
    upload = client.post(
        "/api/submissions",
        data={"challenge": "calculator"},
        files={"archive": ("a.tgz", reference_archive())},
        headers=reviewer_headers,
    )
    assert upload.status_code == 202
    upload_id = upload.json()["id"]
    body = _history(client, reviewer_headers, upload_id)
    assert (body["available"], body["commits"], body["signals"]) == (False, [], [])
    assert "only available for Git submissions" in body["reason"]
    page = client.get(f"/reviewer/submissions/{upload_id}", headers={**_HTML, **reviewer_headers})
    assert "only available for Git submissions" in page.text

    git_server.commit("same", reference_files(), date="1999-01-01T00:00:00Z")
    sent = client.post(
        "/api/submissions",
        json={"challenge": "calculator", "git_url": git_server.url("same")},
        headers=reviewer_headers,
    )
    assert sent.status_code == 202
    flagged = sent.json()["id"]
    assert list(_signals(_history(client, reviewer_headers, flagged))) == ["one_commit"]
    grade_all(svc)
    scores = [
        client.get(f"/api/submissions/{s}", headers=reviewer_headers).json()["score"]
        for s in (upload_id, flagged)
    ]
    assert scores[0] is not None
    assert scores[0] == scores[1]
    report = client.get(f"/api/submissions/{flagged}/report", headers=reviewer_headers)
    assert "one_commit" not in report.text


def test_a_webhook_push_records_its_history(
    client: TestClient,
    reviewer_headers: dict[str, str],
    git_server: GitServer,
) -> None:
    invite_id, _token = _invite(client, reviewer_headers)
    first = git_server.commit("pushed", {"a.py": b"x = 1\n"}, message="one")
    head = git_server.commit("pushed", {"a.py": b"x = 2\n"}, message="two")
    url = git_server.url("pushed")
    binding = client.post(
        f"/api/invites/{invite_id}/bindings",
        json={"repo_url": url, "branch": "main", "provider": "github"},
        headers=reviewer_headers,
    ).json()
    payload = json.loads((_WEBHOOKS / "github_push.json").read_text())
    payload.update(ref="refs/heads/main", after=head)
    payload["head_commit"]["id"] = head
    payload["repository"].update(clone_url=url, html_url=url.removesuffix(".git"), url=url)
    body = json.dumps(payload).encode()
    mac = hmac.new(binding["secret"].encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "X-Hub-Signature-256": f"sha256={mac}",
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "Content-Type": "application/json",
    }
    pushed = client.post(f"/webhooks/github/{binding['id']}", content=body, headers=headers)
    assert pushed.status_code == 202, pushed.text
    history = _history(client, reviewer_headers, pushed.json()["submission"])
    assert [(c["sha"], c["subject"]) for c in history["commits"]] == [
        (head, "two"),
        (first, "one"),
    ]
