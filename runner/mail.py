"""E-mail to candidates and reviewers, from a database outbox (only with `TAKEHOME_SMTP_URL`).

Nothing here runs, and nothing is written, unless `Settings.smtp_url` is set. Then:

- making an invite with an e-mail address queues the "invite" message (`queue_invite_mail`);
- `Notifier.write_notices` (run by `MailSender` every `mail_seconds`) writes a "received" notice
  for each new submission of such an invite, and a "graded" one once its report is stored, to
  the candidate, and a "graded" one to the reviewer who made the invite if they opted in
  (`Reviewer.notify_graded_since`). It reads the records the intake and the workers already
  write, so every intake channel (upload, Git URL, push, API) and every worker process is
  covered without a hook in any of them; a unique key (kind, submission, recipient) makes two
  notifiers write each notice once;
- `send_due` sends what is due. A send that fails (refused, server down, timeout) is recorded
  on its row and retried after `backoff(attempts)`, up to `MAX_ATTEMPTS`; then the row is marked
  failed and logged. A submission never waits for mail: only this thread ever talks SMTP.

What a message says: a candidate's carries the challenge's title, their link and the state
("received", "graded"): never a score, a test's name or outcome, nor anything from the hidden
tests; the status page behind the link applies the feedback policy. A reviewer's "graded"
message carries the candidate, the challenge, the score and the report's link: never a hidden
test's content.

SMTP URL: `smtp://host:25` (plain), `smtp+starttls://user:pass@host:587` (STARTTLS, required),
`smtps://user:pass@host:465` (TLS); `?from=address` sets the sender (default
`takehome@<host>`), `?timeout=seconds` the connection timeout (default 10).

Exception tree::

    MailConfigError (ValueError)   the SMTP URL cannot be used (scheme, host, port)
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import cast
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import ColumnElement, Exists, Select, and_, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from runner.store.db import Database
from runner.store.models import (
    Invite,
    MailOutbox,
    Reviewer,
    StoredReport,
    Submission,
    utcnow,
)

__all__ = [
    "MAX_ATTEMPTS",
    "MailConfigError",
    "MailSender",
    "Notifier",
    "SmtpTarget",
    "backoff",
    "queue_invite_mail",
    "send_due",
]

MAX_ATTEMPTS = 8
"""Sends of one message before it is marked failed (about 2 hours of retries)."""
_FIRST_BACKOFF = 30.0
_MAX_BACKOFF = 3600.0
_CLAIM_SECONDS = 120.0  # a message being sent is not due for others meanwhile
_BATCH = 50
_log = logging.getLogger("takehome.mail")

#: Makes a link from a path ("/i/<token>/submissions/<id>"): the service's public URL.
LinkMaker = Callable[[str], str]


class MailConfigError(ValueError):
    """`TAKEHOME_SMTP_URL` cannot be used."""


def _one_line(text: str) -> str:
    """A header value: control characters (a forged header's line breaks) become spaces."""
    return "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in text)[:200]


def backoff(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones: 30 s, doubling, at most 1 h."""
    delay: float = _FIRST_BACKOFF * 2.0 ** max(0, attempts - 1)
    return min(_MAX_BACKOFF, delay)


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to send: parsed from `TAKEHOME_SMTP_URL`."""

    host: str
    port: int
    security: str
    """"plain", "starttls" or "tls"."""
    sender: str
    username: str = ""
    password: str = ""
    timeout: float = 10.0

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        """Read an SMTP URL (see the module docstring)."""
        parts = urlsplit(url)
        security = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "tls"}.get(parts.scheme)
        if security is None:
            raise MailConfigError(
                "the SMTP URL must start with smtp://, smtp+starttls:// or smtps://"
            )
        try:
            port = parts.port or (
                465 if security == "tls" else 587 if security == "starttls" else 25
            )
        except ValueError:
            raise MailConfigError("the SMTP URL's port is not a number") from None
        if not parts.hostname:
            raise MailConfigError("the SMTP URL names no host")
        query = parse_qs(parts.query)
        sender = query.get("from", [f"takehome@{parts.hostname}"])[0]
        try:
            timeout = float(query.get("timeout", ["10"])[0])
        except ValueError:
            raise MailConfigError("the SMTP URL's timeout is not a number") from None
        return cls(
            host=parts.hostname,
            port=port,
            security=security,
            sender=sender,
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            timeout=timeout,
        )

    def send(self, recipient: str, subject: str, body: str) -> None:
        """Deliver one message; raises `smtplib.SMTPException` or `OSError` on failure."""
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, recipient, subject
        message.set_content(body)
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if self.security == "tls":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.security == "starttls":
                client.starttls(context=context)
            if self.username:
                client.login(self.username, self.password)
            client.send_message(message)


def queue_invite_mail(
    session: Session, invite: Invite, link: str, title: str, deadline_note: str
) -> None:
    """Queue the invite message to the invite's e-mail address (the caller checked SMTP)."""
    if not invite.email:
        return
    body = (
        f"Hello {invite.candidate},\n\n"
        f'you are invited to the take-home challenge "{title}".\n\n'
        f"Your personal link (keep it to yourself: it is your key):\n{link}\n\n"
        f"{deadline_note}\n"
        f"The invite expires {invite.expires_at:%Y-%m-%d %H:%M} UTC.\n"
    )
    session.add(
        MailOutbox(
            invite_id=invite.id,
            recipient=invite.email,
            kind="invite",
            subject=_one_line(f"Your take-home challenge: {title}"),
            body=body,
        )
    )


class Notifier:
    """Writes the "received" and "graded" notices that are due (see the module docstring)."""

    def __init__(self, db: Database, link: LinkMaker, titles: Callable[[str], str]) -> None:
        """`link` makes absolute links from paths; `titles` gives a challenge's title."""
        self._db = db
        self._link = link
        self._titles = titles

    def write_notices(self) -> int:
        """Write every due notice; how many were written."""
        written = 0
        with self._db.reading() as session:
            received = list(session.execute(self._candidate_query("received")))
            graded = list(session.execute(self._candidate_query("graded")))
            reviewers = list(session.execute(self._reviewer_query()))
        for sub, invite in received:
            written += self._write(self._received(sub, invite))
        for sub, invite in graded:
            written += self._write(self._graded(sub, invite))
        for sub, invite, reviewer, score in reviewers:
            written += self._write(self._reviewer_graded(sub, invite, reviewer, score))
        return written

    @staticmethod
    def _noticed(kind: str, recipient: ColumnElement[str] | InstrumentedAttribute[str]) -> Exists:
        return exists().where(
            MailOutbox.kind == kind,
            MailOutbox.submission_id == Submission.id,
            MailOutbox.recipient == recipient,
        )

    def _candidate_query(self, kind: str) -> Select[Submission, Invite]:
        invited = aliased(MailOutbox)
        mailed = exists().where(invited.invite_id == Invite.id, invited.kind == "invite")
        query = (
            select(Submission, Invite)
            .join(Invite, Invite.id == Submission.invite_id)
            .where(
                Invite.email.is_not(None),
                mailed,
                ~self._noticed(kind, cast(InstrumentedAttribute[str], Invite.email)),
            )
        )
        if kind == "graded":
            graded = exists().where(
                StoredReport.submission_id == Submission.id, StoredReport.current.is_(True)
            )
            query = query.where(graded)
        return query.order_by(Submission.created_at).limit(_BATCH)

    def _reviewer_query(self) -> Select[Submission, Invite, Reviewer, float]:
        return (
            select(Submission, Invite, Reviewer, StoredReport.score)
            .join(Invite, Invite.id == Submission.invite_id)
            .join(Reviewer, Reviewer.id == Invite.created_by)
            .join(
                StoredReport,
                and_(StoredReport.submission_id == Submission.id, StoredReport.current.is_(True)),
            )
            .where(
                Reviewer.notify_graded_since.is_not(None),
                StoredReport.created_at >= Reviewer.notify_graded_since,
                ~self._noticed("graded", Reviewer.email),
            )
            .order_by(StoredReport.created_at)
            .limit(_BATCH)
        )

    def _received(self, sub: Submission, invite: Invite) -> MailOutbox:
        title = self._titles(sub.challenge_id)
        body = (
            f"Hello {invite.candidate},\n\n"
            f'we received your submission to "{title}" ({sub.filename}) at'
            f" {sub.created_at:%Y-%m-%d %H:%M} UTC{' (after the deadline)' if sub.late else ''}."
            "\nIt is queued for grading; open your invite link (in the invite e-mail)"
            " to follow it.\n"
        )
        return self._notice("received", sub, invite, f"Received: {title}", body)

    def _graded(self, sub: Submission, invite: Invite) -> MailOutbox:
        title = self._titles(sub.challenge_id)
        body = (
            f"Hello {invite.candidate},\n\n"
            f'your submission to "{title}" ({sub.filename}) has been graded.\n'
            "Open your invite link (in the invite e-mail) to see what the hiring team shares"
            " of the result.\n"
        )
        return self._notice("graded", sub, invite, f"Graded: {title}", body)

    def _reviewer_graded(
        self, sub: Submission, invite: Invite, reviewer: Reviewer, score: float
    ) -> MailOutbox:
        title = self._titles(sub.challenge_id)
        late = " (late)" if sub.late else ""
        body = (
            f'{invite.candidate}\'s submission to "{title}"{late} scored {score:.1f} / 100.\n\n'
            f"Report: {self._link(f'/reviewer/submissions/{sub.id}')}\n"
        )
        message = self._notice("graded", sub, invite, f"Graded: {invite.candidate}", body)
        message.recipient = reviewer.email
        return message

    @staticmethod
    def _notice(kind: str, sub: Submission, invite: Invite, subject: str, body: str) -> MailOutbox:
        return MailOutbox(
            invite_id=invite.id,
            submission_id=sub.id,
            recipient=invite.email or "",
            kind=kind,
            subject=_one_line(subject),
            body=body,
        )

    def _write(self, message: MailOutbox) -> int:
        try:
            with self._db.writing() as session:
                session.add(message)
        except IntegrityError:  # another notifier wrote it first
            return 0
        return 1


def send_due(db: Database, target: SmtpTarget, now: datetime | None = None) -> int:
    """Send the messages that are due; how many were delivered. Never raises for a failed
    send: the row records the error and when to try again."""
    now = now or utcnow()
    with db.reading() as session:
        due = list(
            session.scalars(
                select(MailOutbox.id)
                .where(
                    MailOutbox.sent_at.is_(None),
                    MailOutbox.failed.is_(False),
                    MailOutbox.not_before <= now,
                )
                .order_by(MailOutbox.not_before)
                .limit(_BATCH)
            )
        )
    sent = 0
    for message_id in due:
        message = _claim(db, message_id, now)
        if message is not None:
            sent += _send_one(db, target, message, now)
    return sent


def _claim(db: Database, message_id: str, now: datetime) -> MailOutbox | None:
    with db.writing() as session:
        claimed = session.execute(
            update(MailOutbox)
            .where(
                MailOutbox.id == message_id,
                MailOutbox.sent_at.is_(None),
                MailOutbox.not_before <= now,
            )
            .values(not_before=now + timedelta(seconds=_CLAIM_SECONDS))
        )
        if getattr(claimed, "rowcount", 0) != 1:
            return None
        return session.get(MailOutbox, message_id)


def _send_one(db: Database, target: SmtpTarget, message: MailOutbox, now: datetime) -> int:
    try:
        target.send(message.recipient, message.subject, message.body)
    except (smtplib.SMTPException, OSError, ValueError) as exc:  # ValueError: a bad address
        error = f"{type(exc).__name__}: {exc}"[:1000]
        attempts = message.attempts + 1
        failed = attempts >= MAX_ATTEMPTS
        retry_at = now + timedelta(seconds=backoff(attempts))
        with db.writing() as session:
            session.execute(
                update(MailOutbox)
                .where(MailOutbox.id == message.id)
                .values(attempts=attempts, last_error=error, failed=failed, not_before=retry_at)
            )
        level = logging.ERROR if failed else logging.WARNING
        _log.log(
            level,
            "e-mail %s (%s) to %s not sent, attempt %d%s: %s",
            message.id,
            message.kind,
            message.recipient,
            attempts,
            ": given up" if failed else f", next at {retry_at:%H:%M:%S}",
            error,
        )
        return 0
    with db.writing() as session:
        session.execute(
            update(MailOutbox)
            .where(MailOutbox.id == message.id)
            .values(sent_at=utcnow(), attempts=message.attempts + 1, last_error=None)
        )
    return 1


class MailSender:
    """A thread writing notices and sending due mail every `interval` seconds."""

    def __init__(
        self, db: Database, target: SmtpTarget, notifier: Notifier, interval: float
    ) -> None:
        self._db = db
        self._target = target
        self._notifier = notifier
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="takehome-mail", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (a send under way finishes, bounded by the SMTP timeout)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self._target.timeout + 5)

    def run_once(self) -> int:
        """Write due notices and send due mail once; how many were sent."""
        self._notifier.write_notices()
        return send_due(self._db, self._target)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a database hiccup must not end the thread: log and go on
                _log.exception("the mail outbox could not be processed")
            self._stop.wait(self._interval)
