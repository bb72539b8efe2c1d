"""The mail outbox against a real SMTP server on loopback (aiosmtpd): delivery, a server that
refuses, one that is down; retries with backoff until a last attempt marks the message failed."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from runner.mail import (
    MAX_ATTEMPTS,
    MailConfigError,
    SmtpTarget,
    backoff,
    queue_invite_mail,
    send_due,
)
from runner.settings import Settings
from runner.store import Database, open_database
from runner.store.models import Invite, MailOutbox, utcnow
from runner.store.records import create_invite
from tests.smtp import SmtpServer, free_port


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return open_database(Settings(data_dir=tmp_path))


def _queue(db: Database) -> str:
    invite, _token = create_invite(
        db,
        challenge_id="calculator",
        candidate="Ada",
        expires_days=7,
        max_submissions=3,
        created_by=None,
        email="ada@example.com",
    )
    with db.writing() as session:
        found = session.get(Invite, invite.id)
        assert found is not None
        queue_invite_mail(session, found, "http://svc/i/TOKEN", "Calculator", "No time limit.")
    with db.reading() as session:
        message = session.scalar(select(MailOutbox))
        assert message is not None
        return message.id


def _row(db: Database, message_id: str) -> MailOutbox:
    with db.reading() as session:
        row = session.get(MailOutbox, message_id)
        assert row is not None
        return row


def test_smtp_urls() -> None:
    plain = SmtpTarget.parse("smtp://mail.example.com/?from=hr@example.com")
    assert (plain.host, plain.port, plain.security, plain.sender) == (
        "mail.example.com",
        25,
        "plain",
        "hr@example.com",
    )
    tls = SmtpTarget.parse("smtp+starttls://u%40x:p%2Fw@mail.example.com")
    assert (tls.port, tls.security, tls.username, tls.password) == (587, "starttls", "u@x", "p/w")
    assert SmtpTarget.parse("smtps://mail.example.com").port == 465
    for bad in ("http://mail.example.com", "smtp://", "smtp://h:notaport", "smtp://h/?timeout=x"):
        with pytest.raises(MailConfigError):
            SmtpTarget.parse(bad)


def test_a_queued_message_is_delivered_once(db: Database) -> None:
    message_id = _queue(db)
    with SmtpServer() as server:
        target = SmtpTarget.parse(server.url)
        assert send_due(db, target) == 1
        assert send_due(db, target) == 0  # sent: never again
    [mail] = server.received
    assert (mail["To"], mail["From"]) == ("ada@example.com", "hiring@example.com")
    assert mail["Subject"] == "Your take-home challenge: Calculator"
    assert "http://svc/i/TOKEN" in mail.get_payload(decode=True).decode()
    row = _row(db, message_id)
    assert (row.attempts, row.failed, row.last_error) == (1, False, None)
    assert row.sent_at is not None


def test_a_refusing_server_is_retried_with_backoff_then_given_up(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    message_id = _queue(db)
    now = utcnow()
    with SmtpServer(refuse=True) as server:
        target = SmtpTarget.parse(server.url)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            assert send_due(db, target, now) == 0
            row = _row(db, message_id)
            assert row.attempts == attempt
            assert "550" in (row.last_error or "")
            assert row.not_before == now + timedelta(seconds=backoff(attempt))
            assert send_due(db, target, now) == 0  # not due again before its backoff
            assert _row(db, message_id).attempts == attempt
            now = row.not_before
    assert server.received == []
    row = _row(db, message_id)
    assert (row.failed, row.sent_at) == (True, None)
    assert any("given up" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    assert [backoff(n) for n in (1, 2, 3, 10)] == [30.0, 60.0, 120.0, 3600.0]


def test_a_server_that_is_down_is_retried_until_it_answers(db: Database) -> None:
    message_id = _queue(db)
    down = SmtpTarget.parse(f"smtp://127.0.0.1:{free_port()}/?timeout=2")
    now = utcnow()
    assert send_due(db, down, now) == 0
    row = _row(db, message_id)
    assert row.attempts == 1
    assert "ConnectionRefused" in (row.last_error or "")
    with SmtpServer() as server:
        target = SmtpTarget.parse(server.url)
        assert send_due(db, target, now) == 0  # still backing off
        assert send_due(db, target, row.not_before) == 1
    assert len(server.received) == 1
    assert _row(db, message_id).attempts == 2


def test_a_forged_header_stays_in_the_subject_and_a_bad_address_is_a_failed_try(
    db: Database,
) -> None:
    invite, _token = create_invite(
        db,
        challenge_id="calculator",
        candidate="Ada",
        expires_days=7,
        max_submissions=3,
        created_by=None,
        email="ada@example.com",
    )
    with db.writing() as session:
        found = session.get(Invite, invite.id)
        assert found is not None
        queue_invite_mail(session, found, "http://svc/i/T", "Calc\r\nBcc: evil@example.com", "")
        session.add(
            MailOutbox(recipient="bad\r\n@example.com", subject="x", body="x", kind="invite")
        )
    with SmtpServer() as server:
        assert send_due(db, SmtpTarget.parse(server.url)) == 1
    [mail] = server.received
    assert mail["Bcc"] is None
    assert mail["Subject"] == "Your take-home challenge: Calc  Bcc: evil@example.com"
    with db.reading() as session:
        bad = session.scalar(select(MailOutbox).where(MailOutbox.sent_at.is_(None)))
    assert bad is not None
    assert (bad.attempts, bad.failed) == (1, False)
    assert bad.last_error
