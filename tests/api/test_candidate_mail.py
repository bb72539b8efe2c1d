"""E-mail through the service with a real SMTP server on loopback: the invite link, "received"
and "graded" to the candidate, "graded" to a reviewer who opted in; nothing of the hidden tests
in any message; a server that is down delays mail, never a submission; no SMTP, no mail."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import Message

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api import create_app
from api.services import Services
from runner.mail import MailSender
from runner.settings import Settings
from runner.store.models import MailOutbox
from runner.store.records import create_api_token, create_reviewer
from tests.api.conftest import (
    FAILING_TEST,
    SECRET_MESSAGE,
    fake_pipeline,
    grade_all,
    reference_archive,
)
from tests.smtp import SmtpServer, free_port


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def settings(settings: Settings, smtp: SmtpServer) -> Settings:
    # A long interval: the test runs the sender itself (the thread's first round may race it;
    # claims and the unique notice key keep every message single).
    return settings.model_copy(update={"smtp_url": smtp.url, "mail_seconds": 3600.0})


def _sender(app: FastAPI) -> MailSender:
    sender = app.state.mail
    assert isinstance(sender, MailSender)
    return sender


def _by_kind(server: SmtpServer) -> dict[str, list[Message]]:
    found: dict[str, list[Message]] = {}
    for message in server.received:
        found.setdefault(str(message["Subject"]).split(":")[0], []).append(message)
    return found


def _upload(client: TestClient, token: str) -> str:
    files = {"archive": ("solution.tar.gz", reference_archive(), "application/gzip")}
    answer = client.post(f"/i/{token}/submissions", files=files)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def test_the_candidate_and_an_opted_in_reviewer_hear_back(
    client: TestClient,
    app: FastAPI,
    svc: Services,
    smtp: SmtpServer,
    reviewer_headers: dict[str, str],
) -> None:
    opted = client.put("/api/me/mail", json={"graded": True}, headers=reviewer_headers)
    assert opted.json() == {"graded": True, "smtp": True}
    body = {"challenge": "calculator", "candidate": "Ada", "email": "ada@example.com"}
    made = client.post("/api/invites", json=body, headers=reviewer_headers).json()
    _sender(app).run_once()
    [invite_mail] = smtp.received
    assert invite_mail["To"] == "ada@example.com"
    assert made["link"] in invite_mail.get_payload(decode=True).decode()

    token = made["link"].rsplit("/", 1)[1]
    submission = _upload(client, token)
    _sender(app).run_once()
    assert [m["Subject"] for m in smtp.received[1:]] == ["Received: Calculator library"]
    grade_all(svc)
    _sender(app).run_once()
    _sender(app).run_once()  # nothing new: every notice is written once

    kinds = _by_kind(smtp)
    assert sorted((k, len(v)) for k, v in kinds.items()) == [
        ("Graded", 2),
        ("Received", 1),
        ("Your take-home challenge", 1),
    ]
    to = {m["To"]: m.get_payload(decode=True).decode() for m in kinds["Graded"]}
    assert set(to) == {"ada@example.com", "rev@example.com"}
    assert f"/reviewer/submissions/{submission}" in to["rev@example.com"]
    assert "scored" in to["rev@example.com"]
    assert "scored" not in to["ada@example.com"]  # the candidate's: state and link only
    for message in smtp.received:  # every message sent
        text = message.get_payload(decode=True).decode()
        assert SECRET_MESSAGE not in text
        assert FAILING_TEST.split("::")[1] not in text


def test_a_down_server_never_blocks_a_submission(settings: Settings) -> None:
    down = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{free_port()}/?timeout=2"})
    app = create_app(down, pipeline_factory=fake_pipeline)
    services: Services = app.state.services
    with TestClient(app) as client:
        body = {"challenge": "calculator", "candidate": "Ada", "email": "ada@example.com"}
        headers = _reviewer(services)
        made = client.post("/api/invites", json=body, headers=headers).json()
        token = made["link"].rsplit("/", 1)[1]
        submission = _upload(client, token)
        grade_all(services)
        _sender(app).run_once()
        shown = client.get(f"/i/{token}/submissions/{submission}").json()
    assert shown["state"] == "done"
    with services.db.reading() as session:
        rows = list(session.scalars(select(MailOutbox)))
    assert {r.kind for r in rows} == {"invite", "received", "graded"}
    assert all(r.sent_at is None and r.attempts >= 1 and r.last_error for r in rows)


def _reviewer(services: Services) -> dict[str, str]:
    create_reviewer(services.db, "other@example.com", "correct horse battery")
    return {"Authorization": f"Bearer {create_api_token(services.db, 'other@example.com')}"}


def test_without_smtp_nothing_is_queued(settings: Settings, smtp: SmtpServer) -> None:
    plain = settings.model_copy(update={"smtp_url": ""})
    app = create_app(plain, pipeline_factory=fake_pipeline)
    services: Services = app.state.services
    assert app.state.mail is None
    with TestClient(app) as client:
        body = {"challenge": "calculator", "candidate": "Ada", "email": "ada@example.com"}
        made = client.post("/api/invites", json=body, headers=_reviewer(services))
        assert made.status_code == 201
        _upload(client, made.json()["link"].rsplit("/", 1)[1])
        grade_all(services)
    with services.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(MailOutbox)) == 0
    assert smtp.received == []
