"""Configuring endpoints and reading the delivery log: what the CLI, the API and the page share."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from runner.events._errors import InvalidEndpoint
from runner.events._url import EventPolicy, check_endpoint_url
from runner.store.db import Database
from runner.store.events import EVENTS, EventAttempt, EventDelivery, EventEndpoint, iso
from runner.store.records import NotFound

__all__ = [
    "DeliveryLog",
    "add_endpoint",
    "delivery_log",
    "list_endpoints",
    "remove_endpoint",
]

_MIN_SECRET, _MAX_SECRET = 16, 200
_LOG_LIMIT = 100


def _events(events: Iterable[str]) -> str:
    chosen = list(dict.fromkeys(e.strip() for e in events if e.strip()))
    if not chosen:
        raise InvalidEndpoint(f"subscribe to at least one event: {', '.join(EVENTS)}")
    unknown = [e for e in chosen if e not in EVENTS]
    if unknown:
        raise InvalidEndpoint(f"unknown event {unknown[0]!r}: the events are {', '.join(EVENTS)}")
    return " ".join(chosen)


def _secret(given: str | None) -> str:
    if given is None or not given.strip():
        return secrets.token_urlsafe(32)
    if not (_MIN_SECRET <= len(given) <= _MAX_SECRET) or not given.isascii():
        raise InvalidEndpoint(
            f"a secret is {_MIN_SECRET} to {_MAX_SECRET} ASCII characters (or leave it out:"
            " one is made)"
        )
    if any(c.isspace() or not c.isprintable() for c in given):
        raise InvalidEndpoint("a secret holds no spaces or control characters")
    return given


def add_endpoint(
    db: Database,
    policy: EventPolicy,
    url: str,
    events: Iterable[str],
    *,
    secret: str | None = None,
    created_by: str | None = None,
) -> tuple[EventEndpoint, str]:
    """A new endpoint and its secret (made when not given; shown to the caller once). The URL
    is checked, its host resolved and every address checked, before anything is stored."""
    subscribed = _events(events)
    chosen = _secret(secret)
    target = check_endpoint_url(url, policy)
    endpoint = EventEndpoint(
        url=target.url, secret=chosen, events=subscribed, created_by=created_by
    )
    with db.writing() as session:
        session.add(endpoint)
    return endpoint, chosen


def list_endpoints(db: Database) -> list[EventEndpoint]:
    """Every endpoint, oldest first."""
    with db.reading() as session:
        query = select(EventEndpoint).order_by(EventEndpoint.created_at, EventEndpoint.id)
        return list(session.scalars(query))


def remove_endpoint(db: Database, endpoint_id: str) -> None:
    """Remove an endpoint with its deliveries and their attempts (nothing more is sent to it).
    Raises `NotFound`."""
    with db.writing() as session:
        if session.get(EventEndpoint, endpoint_id) is None:
            raise NotFound("no such endpoint")
        deliveries = select(EventDelivery.id).where(EventDelivery.endpoint_id == endpoint_id)
        session.execute(delete(EventAttempt).where(EventAttempt.delivery_id.in_(deliveries)))
        session.execute(delete(EventDelivery).where(EventDelivery.endpoint_id == endpoint_id))
        session.execute(delete(EventEndpoint).where(EventEndpoint.id == endpoint_id))


@dataclass(frozen=True)
class DeliveryLog:
    """One delivery and its attempts, newest attempt first."""

    delivery: EventDelivery
    attempts: list[EventAttempt]

    def as_json(self) -> dict[str, object]:
        """The delivery and its attempts as the API answers them."""
        d = self.delivery
        return {
            "id": d.id,
            "endpoint_id": d.endpoint_id,
            "event": d.event,
            "state": d.state,
            "attempts": d.attempts,
            "next_at": iso(d.next_at) if d.state == "pending" else None,
            "last_status": d.last_status,
            "last_error": d.last_error,
            "created_at": iso(d.created_at),
            "delivered_at": iso(d.delivered_at),
            "log": [
                {
                    "number": a.number,
                    "started_at": iso(a.started_at),
                    "duration_ms": a.duration_ms,
                    "status_code": a.status_code,
                    "error": a.error,
                    "redelivery": a.redelivery,
                }
                for a in self.attempts
            ],
        }


def delivery_log(
    db: Database, endpoint_id: str | None = None, limit: int = _LOG_LIMIT
) -> list[DeliveryLog]:
    """The newest deliveries (of one endpoint, or all), each with its attempts."""
    with db.reading() as session:
        query = select(EventDelivery).order_by(
            EventDelivery.created_at.desc(), EventDelivery.id.desc()
        )
        if endpoint_id is not None:
            if session.get(EventEndpoint, endpoint_id) is None:
                raise NotFound("no such endpoint")
            query = query.where(EventDelivery.endpoint_id == endpoint_id)
        deliveries = list(session.scalars(query.limit(max(1, min(limit, 1000)))))
        attempts = _attempts(session, [d.id for d in deliveries])
    return [DeliveryLog(d, attempts.get(d.id, [])) for d in deliveries]


def _attempts(session: Session, ids: list[str]) -> dict[str, list[EventAttempt]]:
    found: dict[str, list[EventAttempt]] = {}
    if not ids:
        return found
    query = (
        select(EventAttempt)
        .where(EventAttempt.delivery_id.in_(ids))
        .order_by(EventAttempt.number.desc(), EventAttempt.started_at.desc())
    )
    for attempt in session.scalars(query):
        found.setdefault(attempt.delivery_id, []).append(attempt)
    return found
