"""Outbound events' tables and outbox (migration 0008): endpoints, deliveries, attempts.

A reviewer configures an `EventEndpoint` (URL, secret, the events it wants). When a state
change happens, its transaction calls `enqueue_event`, which writes one `EventDelivery` per
endpoint subscribed to the event, in that same transaction: the change and its deliveries are
stored together or not at all, so a crash never loses an event nor sends one for a change that
was rolled back. A delivery is unique per (endpoint, event, key) (the key is the run, decision
or invite the event is about), so calling `enqueue_event` twice for one change writes once.

The three events and where they are enqueued:

- `submission.graded`: `runner.queue.RunQueue.complete`, as the report is stored (`graded`);
- `submission.decided`: `runner.store.reviews.record_decision` (`decided`);
- `invite.started`: `runner.store.records.start_clock`, when the clock starts (`started`).

The body of a delivery is fixed when it is enqueued (`EventDelivery.body`, the exact bytes that
are signed and sent, on every attempt and redelivery): `{"id", "event", "created_at", "data"}`.
The data carries ids, the challenge, scores, the decision and the clock: what a reviewer's export
holds, never a hidden test's name, output or content, and no candidate name or e-mail (an
applicant-tracking system knows its candidates by the invite id it made; blind invites stay
blind). `runner.events` sends the deliveries and records every `EventAttempt`.

The endpoint's secret is stored as given (it must sign every delivery; a digest would not do):
the database is private to the service (docs/events.md, "Security").
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from graders.model import Report
from runner.store.models import Base, Decision, Invite, Submission, new_id, utcnow

__all__ = [
    "DELIVERY_STATES",
    "EVENTS",
    "EventAttempt",
    "EventDelivery",
    "EventEndpoint",
    "decided",
    "enqueue_event",
    "graded",
    "iso",
    "started",
]

#: The events an endpoint may subscribe to.
EVENTS = ("submission.graded", "submission.decided", "invite.started")
#: pending -> sending (claimed, leased) -> delivered | pending again (retry) | failed.
DELIVERY_STATES = ("pending", "sending", "delivered", "failed")


class EventEndpoint(Base):
    """A receiver of events: where to send, the secret that signs, the events it wants."""

    __tablename__ = "event_endpoints"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(200))
    events: Mapped[str] = mapped_column(String(200))
    """The subscribed events, space-separated (see `subscribed`)."""
    created_by: Mapped[str | None] = mapped_column(ForeignKey("reviewers.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def subscribed(self) -> tuple[str, ...]:
        """The events this endpoint receives."""
        return tuple(self.events.split())


class EventDelivery(Base):
    """One event for one endpoint: its body (fixed), its state and when it is next due."""

    __tablename__ = "event_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event", "event_key", name="uq_event_deliveries_key"),
        Index("ix_event_deliveries_due", "state", "next_at"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("event_endpoints.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(32))
    event_key: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_at: Mapped[datetime] = mapped_column(default=utcnow)
    """When a pending delivery is due; while sending, when its lease ends."""
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


class EventAttempt(Base):
    """One try at sending a delivery: the answer's status code or the error, and how long."""

    __tablename__ = "event_attempts"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("event_deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    duration_ms: Mapped[float] = mapped_column(Float)
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    redelivery: Mapped[bool] = mapped_column(default=False)


def iso(moment: datetime | None) -> str | None:
    """A stored (naive UTC) time as ISO 8601 with `Z`, to the second."""
    return None if moment is None else moment.isoformat(timespec="seconds") + "Z"


def enqueue_event(session: Session, event: str, key: str, data: dict[str, Any]) -> int:
    """Write a delivery of `event` (about `key`) for every endpoint subscribed to it, in the
    caller's transaction; how many were written (an endpoint that has it already is skipped)."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    endpoints = [e for e in session.scalars(select(EventEndpoint)) if event in e.subscribed()]
    if not endpoints:
        return 0
    have = set(
        session.scalars(
            select(EventDelivery.endpoint_id).where(
                EventDelivery.event == event, EventDelivery.event_key == key
            )
        )
    )
    now = utcnow()
    written = 0
    for endpoint in endpoints:
        if endpoint.id in have:
            continue
        delivery_id = new_id()
        body = {"id": delivery_id, "event": event, "created_at": iso(now), "data": data}
        session.add(
            EventDelivery(
                id=delivery_id,
                endpoint_id=endpoint.id,
                event=event,
                event_key=key,
                body=json.dumps(body, sort_keys=True, separators=(",", ":")),
                next_at=now,
                created_at=now,
            )
        )
        written += 1
    return written


def graded(session: Session, submission_id: str, run_id: str, report: Report) -> int:
    """Enqueue `submission.graded` for the report of `run_id` (once per run)."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        return 0
    data = {
        "submission_id": submission.id,
        "invite_id": submission.invite_id,
        "challenge_id": submission.challenge_id,
        "run_id": run_id,
        "submitted_at": iso(submission.created_at),
        "late": submission.late,
        "score": report.score,
        "categories": {name: result.score for name, result in report.categories.items()},
        "verdicts": sorted({str(verdict.kind.value) for verdict in report.verdicts}),
    }
    return enqueue_event(session, "submission.graded", run_id, data)


def decided(session: Session, decision: Decision) -> int:
    """Enqueue `submission.decided` for a new decision (on a submission or a whole invite)."""
    invite_id = decision.invite_id
    challenge_id = None
    if decision.submission_id is not None:
        submission = session.get(Submission, decision.submission_id)
        if submission is not None:
            invite_id, challenge_id = submission.invite_id, submission.challenge_id
    elif invite_id is not None:
        invite = session.get(Invite, invite_id)
        challenge_id = invite.challenge_id if invite is not None else None
    data = {
        "decision_id": decision.id,
        "scope": "submission" if decision.submission_id is not None else "invite",
        "submission_id": decision.submission_id,
        "invite_id": invite_id,
        "challenge_id": challenge_id,
        "value": decision.value,
        "reason": decision.reason,
        "decided_by": decision.reviewer.email,
        "decided_at": iso(decision.created_at),
    }
    return enqueue_event(session, "submission.decided", decision.id, data)


def started(session: Session, invite: Invite) -> int:
    """Enqueue `invite.started` as the invite's clock starts (once per invite)."""
    data = {
        "invite_id": invite.id,
        "challenge_id": invite.challenge_id,
        "started_at": iso(invite.started_at),
        "deadline": iso(invite.deadline()),
        "time_limit_hours": invite.time_limit_hours,
        "strict": invite.strict,
    }
    return enqueue_event(session, "invite.started", invite.id, data)
