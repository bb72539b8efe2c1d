"""The dispatcher: sends due deliveries from the outbox, retries with backoff, logs attempts.

`run_once` claims what is due (a pending delivery whose `next_at` passed, or one being sent
whose lease passed: its dispatcher died) with a conditional UPDATE per row, so two dispatchers
(two `takehome serve` processes, or a restart) never send one attempt twice; it sends on
`senders` threads at once, each claiming a row right before trying it (so no lease runs out
while a row waits for a free thread), and waits for them. Every attempt is an
`EventAttempt` row; a 2xx marks the delivery delivered, anything else (an error status, a
redirect, a timeout, a refused address) schedules the next attempt after `RetryPolicy.delay`,
or marks it failed after the last one. The URL is checked again before every attempt: a host
whose DNS now points inside is refused and no connection is made.

`redeliver` sends one more attempt of any past delivery now (the reviewer's Redeliver button),
with the same id and body: a receiver that deduplicates by `X-Takehome-Delivery` sees it as
the same event. It counts as an attempt like any other: delivered on a 2xx, else retried with
backoff while attempts remain, else failed.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from runner.events._errors import DeliveryBusy, EventError
from runner.events._send import Answer, post, signature
from runner.events._url import EventPolicy, check_endpoint_url
from runner.settings import Settings
from runner.store.db import Database
from runner.store.events import EventAttempt, EventDelivery, EventEndpoint
from runner.store.models import utcnow
from runner.store.records import NotFound

__all__ = ["EventDispatcher", "RetryPolicy"]

_log = logging.getLogger("takehome.events")
_BATCH = 50
_DUE_STATES = ("pending", "sending")
_RANDOM = secrets.SystemRandom()


@dataclass(frozen=True)
class RetryPolicy:
    """How often, and how far apart, a delivery is tried."""

    max_attempts: int = 8
    first_seconds: float = 10.0
    factor: float = 6.0
    max_seconds: float = 6 * 3600.0
    jitter: float = 0.2
    """Each wait is scaled by a random factor in [1 - jitter, 1 + jitter]."""

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """The `events_*` retry settings."""
        return cls(
            max_attempts=settings.events_max_attempts,
            first_seconds=settings.events_backoff_seconds,
            factor=settings.events_backoff_factor,
            max_seconds=settings.events_backoff_max_seconds,
        )

    def delay(self, attempts: int) -> float:
        """Seconds to wait after `attempts` failed attempts (exponential, capped, jittered)."""
        base = min(self.max_seconds, self.first_seconds * self.factor ** max(0, attempts - 1))
        return base * _RANDOM.uniform(1.0 - self.jitter, 1.0 + self.jitter)


@dataclass(frozen=True)
class _Claimed:
    delivery_id: str
    event: str
    body: str
    attempts: int
    url: str
    secret: str


class EventDispatcher:
    """Sends the outbox's due deliveries (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        policy: EventPolicy,
        retry: RetryPolicy,
        *,
        senders: int = 4,
        lease_seconds: float = 60.0,
        poll_seconds: float = 2.0,
        name: str | None = None,
    ) -> None:
        self._db = db
        self._policy = policy
        self._retry = retry
        self._senders = senders
        self._lease = timedelta(seconds=lease_seconds)
        self._poll = poll_seconds
        self.name = name or f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_settings(cls, db: Database, settings: Settings) -> EventDispatcher:
        """A dispatcher over `db` configured by the `events_*` settings."""
        return cls(
            db,
            EventPolicy.from_settings(settings),
            RetryPolicy.from_settings(settings),
            senders=settings.events_senders,
            lease_seconds=settings.events_lease_seconds,
            poll_seconds=settings.events_poll_seconds,
        )

    def run_once(self) -> int:
        """Claim and send every due delivery (up to a batch); how many were delivered.

        Each row is claimed by the sender about to try it, right before its attempt, so its
        lease runs from then: a row waiting for a free sender holds no lease that could pass
        (and let another dispatcher send it too) before it is tried."""
        now = utcnow()
        with self._db.reading() as session:
            due = list(
                session.scalars(
                    select(EventDelivery.id)
                    .where(EventDelivery.state.in_(_DUE_STATES), EventDelivery.next_at <= now)
                    .order_by(EventDelivery.next_at)
                    .limit(_BATCH)
                )
            )
        if not due:
            return 0
        with ThreadPoolExecutor(self._senders, thread_name_prefix="takehome-event") as pool:
            answers = list(pool.map(self._claim_and_attempt, due))
        return sum(1 for answer in answers if answer is not None and answer.ok)

    def _claim_and_attempt(self, delivery_id: str) -> Answer | None:
        claimed = self._claim(delivery_id, utcnow())
        return None if claimed is None else self._attempt(claimed)

    def _claim(self, delivery_id: str, now: datetime) -> _Claimed | None:
        with self._db.writing() as session:
            result = session.execute(
                update(EventDelivery)
                .where(
                    EventDelivery.id == delivery_id,
                    EventDelivery.state.in_(_DUE_STATES),
                    EventDelivery.next_at <= now,
                )
                .values(state="sending", lease_owner=self.name, next_at=now + self._lease)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) != 1:
                return None
            return _claimed(session.get(EventDelivery, delivery_id), session)

    def _attempt(self, claimed: _Claimed, *, redelivery: bool = False) -> Answer:
        started = utcnow()
        try:
            target = check_endpoint_url(claimed.url, self._policy)
        except EventError as exc:  # DNS now points inside, or does not resolve: no connection
            answer = Answer(None, f"{exc.reason}: {exc}"[:1000], 0.0)
        else:
            body = claimed.body.encode("utf-8")
            headers = {
                "X-Takehome-Event": claimed.event,
                "X-Takehome-Delivery": claimed.delivery_id,
                "X-Takehome-Signature-256": signature(claimed.secret, body),
            }
            answer = post(target, body, headers, self._policy.timeout_seconds)
        self._record(claimed, answer, started, redelivery=redelivery)
        return answer

    def _record(
        self, claimed: _Claimed, answer: Answer, started: datetime, *, redelivery: bool
    ) -> None:
        """Count the attempt in SQL, then log it, only while this dispatcher holds the lease
        (a delivery whose endpoint was removed meanwhile is gone: nothing is recorded)."""
        with self._db.writing() as session:
            attempts = session.scalar(
                update(EventDelivery)
                .where(
                    EventDelivery.id == claimed.delivery_id,
                    EventDelivery.lease_owner == self.name,
                )
                .values(attempts=EventDelivery.attempts + 1, last_status=answer.status)
                .returning(EventDelivery.attempts)
                .execution_options(synchronize_session=False)
            )
            if attempts is None:
                _log.info("event delivery %s was removed or re-leased", claimed.delivery_id)
                return
            values = self._outcome(answer, attempts)
            session.execute(
                update(EventDelivery)
                .where(EventDelivery.id == claimed.delivery_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            session.add(
                EventAttempt(
                    delivery_id=claimed.delivery_id,
                    number=attempts,
                    started_at=started,
                    duration_ms=answer.duration_ms,
                    status_code=answer.status,
                    error=answer.error,
                    redelivery=redelivery,
                )
            )
        self._log(claimed, answer, attempts, values)

    def _outcome(self, answer: Answer, attempts: int) -> dict[str, object]:
        if answer.ok:
            return {
                "state": "delivered",
                "delivered_at": utcnow(),
                "lease_owner": None,
                "last_error": None,
            }
        if attempts >= self._retry.max_attempts:
            return {"state": "failed", "lease_owner": None, "last_error": answer.error}
        retry_at = utcnow() + timedelta(seconds=self._retry.delay(attempts))
        return {
            "state": "pending",
            "next_at": retry_at,
            "lease_owner": None,
            "last_error": answer.error,
        }

    @staticmethod
    def _log(claimed: _Claimed, answer: Answer, attempts: int, values: dict[str, object]) -> None:
        if answer.ok:
            _log.info("event delivery %s (%s) delivered", claimed.delivery_id, claimed.event)
            return
        _log.warning(
            "event delivery %s (%s) attempt %d failed (%s), now %s",
            claimed.delivery_id,
            claimed.event,
            attempts,
            answer.error,
            values["state"],
        )

    def redeliver(self, delivery_id: str) -> Answer:
        """One more attempt of a past delivery, now, with its id and body. Raises `NotFound`,
        or `DeliveryBusy` while another attempt of it is under way."""
        now = utcnow()
        with self._db.writing() as session:
            result = session.execute(
                update(EventDelivery)
                .where(
                    EventDelivery.id == delivery_id,
                    ~and_(EventDelivery.state == "sending", EventDelivery.next_at > now),
                )
                .values(state="sending", lease_owner=self.name, next_at=now + self._lease)
                .execution_options(synchronize_session=False)
            )
            delivery = session.get(EventDelivery, delivery_id)
            if delivery is None:
                raise NotFound("no such delivery")
            if getattr(result, "rowcount", 0) != 1:
                raise DeliveryBusy("the delivery is being sent right now: try again shortly")
            claimed = _claimed(delivery, session)
        if claimed is None:
            raise NotFound("the delivery's endpoint was removed")
        return self._attempt(claimed, redelivery=True)

    def start(self) -> None:
        """Send due deliveries every `poll_seconds` on a daemon thread until `stop()`."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="takehome-events", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a database hiccup must not end the thread: log and go on
                _log.exception("the event outbox could not be processed")
            self._stop.wait(self._poll)

    def stop(self) -> None:
        """Stop the thread (attempts under way finish, bounded by the timeout)."""
        self._stop.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=self._policy.timeout_seconds * 2 + 5)


def _claimed(delivery: EventDelivery | None, session: Session) -> _Claimed | None:
    if delivery is None:
        return None
    endpoint = session.get(EventEndpoint, delivery.endpoint_id)
    if endpoint is None:
        return None
    return _Claimed(
        delivery.id,
        delivery.event,
        delivery.body,
        delivery.attempts,
        endpoint.url,
        endpoint.secret,
    )
