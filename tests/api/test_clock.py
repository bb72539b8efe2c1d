"""The clock: only a CSRF-checked POST starts it, once; the starter waits for it on a timed
invite; past the deadline a submission is marked late, or refused with 403 on every intake
channel of a strict invite (nothing stored); reviewers see the time used everywhere."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.services import Services
from runner.settings import Settings
from runner.store import Invite
from runner.store.models import utcnow
from runner.store.records import create_reviewer
from tests.api.conftest import grade_all, reference_archive, reference_files, stored
from tests.gitserver import GitServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"
HTML = {"Accept": "text/html"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "git_allowed_hosts": ["127.0.0.1"],
            "git_allow_loopback": True,
            "git_allow_http": True,
        }
    )


def _invite(client: TestClient, headers: dict[str, str], **extra: Any) -> tuple[str, str]:
    body = {"challenge": "calculator", "candidate": "Ada", "max_submissions": 10, **extra}
    made = client.post("/api/invites", json=body, headers=headers)
    assert made.status_code == 201, made.text
    return made.json()["id"], made.json()["link"].rsplit("/", 1)[1]


def _started_at(svc: Services, invite_id: str) -> Any:
    with svc.db.reading() as session:
        invite = session.get(Invite, invite_id)
        assert invite is not None
        return invite.started_at


def _start_form(client: TestClient, token: str) -> str:
    """The CSRF token of the invite page's Start form."""
    page = client.get(f"/i/{token}", headers=HTML).text
    match = re.search(
        r'id="start-form">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page
    )
    assert match is not None, "the page has no Start form"
    return match.group(1)


def _press_start(client: TestClient, token: str, csrf: str | None = None) -> Any:
    return client.post(
        f"/i/{token}/start",
        data={"csrf_token": csrf or _start_form(client, token)},
        headers=HTML,
        follow_redirects=False,
    )


def _upload(client: TestClient, token: str) -> Any:
    files = {"archive": ("solution.tar.gz", reference_archive(), "application/gzip")}
    return client.post(f"/i/{token}/submissions", files=files)


def _move_start(svc: Services, invite_id: str, hours_ago: float) -> None:
    with svc.db.writing() as session:
        session.execute(
            update(Invite)
            .where(Invite.id == invite_id)
            .values(started_at=utcnow() - timedelta(hours=hours_ago))
        )


def test_only_a_post_with_the_csrf_token_starts_the_clock_once(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str]
) -> None:
    invite_id, token = _invite(client, reviewer_headers, time_limit_hours=2)
    page = client.get(f"/i/{token}", headers=HTML).text
    assert "Start the clock" in page
    assert "starter.zip" not in page
    for kind in ("zip", "tar.gz"):
        refused = client.get(f"/i/{token}/starter.{kind}")
        assert (refused.status_code, refused.json()["error"]) == (409, "not_started")
    client.get(f"/i/{token}/start")  # a GET (a link prefetcher) never starts it
    assert _started_at(svc, invite_id) is None

    forged = TestClient(client.app).post(f"/i/{token}/start", data={"csrf_token": "x"})
    assert (forged.status_code, forged.json()["error"]) == (403, "csrf")
    assert _started_at(svc, invite_id) is None

    csrf = _start_form(client, token)
    started = _press_start(client, token, csrf)
    assert (started.status_code, started.headers["location"]) == (303, f"/i/{token}")
    first = _started_at(svc, invite_id)
    assert first is not None
    page = client.get(f"/i/{token}", headers=HTML).text
    deadline = (first + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    assert f"{deadline} UTC" in page
    assert re.search(r'id="time-left">1 h 5\d min|id="time-left">2 h 00 min', page)
    assert client.get(f"/i/{token}/starter.zip").status_code == 200

    _move_start(svc, invite_id, 0.5)
    moved = _started_at(svc, invite_id)
    again = _press_start(client, token, csrf)  # the form sent twice (a double click)
    assert again.status_code == 303
    assert "Start the clock" not in client.get(f"/i/{token}", headers=HTML).text
    assert _started_at(svc, invite_id) == moved  # the second press moved nothing


def test_a_late_submission_is_accepted_and_marked_late(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str]
) -> None:
    invite_id, token = _invite(client, reviewer_headers, time_limit_hours=2)
    _untimed_id, untimed = _invite(client, reviewer_headers)
    on_time = _upload(client, untimed)  # untimed: never late, no time used
    assert on_time.status_code == 202
    assert _press_start(client, token).status_code == 303
    _move_start(svc, invite_id, 3)
    late = _upload(client, token)
    assert late.status_code == 202, late.text
    grade_all(svc)

    status = client.get(late.headers["location"]).json()
    assert (status["state"], status["late"]) == ("done", True)
    assert "late" not in client.get(on_time.headers["location"]).json()
    shown = client.get(f"/api/submissions/{late.json()['id']}", headers=reviewer_headers).json()
    assert shown["late"] is True
    assert 3 * 3600 - 60 <= shown["time_used_seconds"] <= 3 * 3600 + 60
    assert shown["started_at"] is not None

    html = {**HTML, **reviewer_headers}
    report = client.get(f"/reviewer/submissions/{late.json()['id']}", headers=html).text
    assert re.search(r"time used <strong>(3 h 00 min|2 h 59 min)</strong>", report)
    assert "late" in report
    dashboard = client.get("/reviewer", headers=html).text
    assert re.search(r"<td>(3 h 00 min|2 h 59 min)</td>", dashboard)
    compare = client.get("/reviewer/challenges/calculator/compare", headers=html).text
    assert re.search(r"<td>(3 h 00 min|2 h 59 min)</td>", compare)

    text = client.get("/api/challenges/calculator/submissions.csv", headers=reviewer_headers)
    rows = list(csv.DictReader(io.StringIO(text.text)))
    by_id = {row["submission"]: row for row in rows}
    assert by_id[late.json()["id"]]["late"] == "true"
    assert 3 * 3600 - 60 <= int(by_id[late.json()["id"]]["time_used_seconds"]) <= 3 * 3600 + 60
    assert by_id[on_time.json()["id"]]["late"] == "false"
    assert by_id[on_time.json()["id"]]["time_used_seconds"] == ""


def _signed_push(secret: str, url: str, sha: str) -> tuple[bytes, dict[str, str]]:
    payload = json.loads((FIXTURES / "github_push.json").read_text())
    payload.update(ref="refs/heads/main", after=sha)
    payload["head_commit"]["id"] = sha
    payload["repository"].update(clone_url=url, html_url=url.removesuffix(".git"), url=url)
    body = json.dumps(payload).encode()
    mac = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "X-Hub-Signature-256": f"sha256={mac}",
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "Content-Type": "application/json",
    }
    return body, headers


def test_a_strict_invite_refuses_on_every_channel_and_stores_nothing(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    git_server: GitServer,
) -> None:
    invite_id, token = _invite(client, reviewer_headers, time_limit_hours=1, strict=True)
    sha = git_server.commit("solution", reference_files())
    url = git_server.url("solution")
    binding = client.post(
        f"/api/invites/{invite_id}/bindings",
        json={"repo_url": url, "branch": "main", "provider": "github"},
        headers=reviewer_headers,
    ).json()
    assert _press_start(client, token).status_code == 303
    _move_start(svc, invite_id, 1.5)
    before = stored(svc)

    body, push_headers = _signed_push(binding["secret"], url, sha)
    archive = {"archive": ("s.tar.gz", reference_archive(), "application/gzip")}
    answers = [
        _upload(client, token),
        client.post(f"/i/{token}/submissions", json={"git_url": url}),
        client.post(
            "/api/submissions", data={"invite": token}, files=archive, headers=reviewer_headers
        ),
        client.post(
            "/api/submissions", json={"invite": token, "git_url": url}, headers=reviewer_headers
        ),
        client.post(f"/webhooks/github/{binding['id']}", content=body, headers=push_headers),
    ]
    for answer in answers:
        assert (answer.status_code, answer.json()["error"]) == (403, "deadline_passed")
    assert stored(svc) == before


def test_an_expired_invite_cannot_be_started(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str]
) -> None:
    invite_id, token = _invite(client, reviewer_headers, time_limit_hours=1)
    csrf = _start_form(client, token)
    with svc.db.writing() as session:
        session.execute(update(Invite).where(Invite.id == invite_id).values(expires_at=utcnow()))
    answer = _press_start(client, token, csrf)
    assert answer.status_code == 410
    assert _started_at(svc, invite_id) is None
    assert client.post("/i/nope/start", data={"csrf_token": csrf}).status_code == 404


def test_the_reviewer_form_offers_the_challenges_estimate(
    client: TestClient, svc: Services
) -> None:
    create_reviewer(svc.db, "rev@example.com", "correct horse battery")
    login = client.get("/login", headers=HTML).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert csrf is not None
    form = {"email": "rev@example.com", "password": "correct horse battery"}
    client.post("/login", data={**form, "csrf_token": csrf.group(1)}, headers=HTML)
    page = client.get("/reviewer", headers=HTML).text
    assert "calculator: 2 h" in page  # time_estimate "1-2 hours"

    made = {}
    for clock, hours in (("untimed", ""), ("estimate", ""), ("custom", "1.5"), ("custom", "x")):
        data = {"challenge": "calculator", "candidate": f"{clock}{hours}", "clock": clock}
        data |= {"time_limit_hours": hours, "csrf_token": csrf.group(1), "strict": "true"}
        made[(clock, hours)] = client.post("/reviewer/invites", data=data, headers=HTML)
    assert made[("custom", "x")].status_code == 400
    bad = {"challenge": "calculator", "candidate": "B", "email": "not an address"}
    refused = client.post("/reviewer/invites", data={**bad, "csrf_token": csrf.group(1)})
    assert (refused.status_code, refused.json()["error"]) == (400, "bad_email")
    assert "Time limit 2 h from the candidate's Start, strict" in made[("estimate", "")].text
    assert "Untimed." in made[("untimed", "")].text
    with svc.db.reading() as session:
        limits = {
            i.candidate: (i.time_limit_hours, i.strict) for i in session.scalars(select(Invite))
        }
    assert limits == {"untimed": (None, True), "estimate": (2.0, True), "custom1.5": (1.5, True)}
    listed = client.get("/api/challenges").json()
    calculator = next(c for c in listed if c["id"] == "calculator")
    assert (calculator["time_estimate"], calculator["default_time_limit_hours"]) == (
        "1-2 hours",
        2.0,
    )
