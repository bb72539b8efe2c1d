"""Outbound events against a real HTTP receiver on loopback (tests/eventreceiver.py): signed
deliveries, retries with backoff, a hanging endpoint, restart durability, the address checks,
redelivery."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from runner.events import (
    DeliveryBusy,
    EndpointAddressRefused,
    EndpointRefused,
    EventDispatcher,
    EventPolicy,
    InvalidEndpoint,
    RetryPolicy,
    Target,
    add_endpoint,
    delivery_log,
    list_endpoints,
    remove_endpoint,
)
from runner.events._send import post
from runner.settings import Settings
from runner.store import Database, EventAttempt, EventDelivery, open_database
from runner.store.models import utcnow
from runner.store.records import create_invite, start_clock
from runner.wiring import Wiring
from tests.eventreceiver import Receiver, receiving

SECRET = "receiver-secret-0123456789"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        events_allow_http=True,
        git_allow_loopback=True,
        events_backoff_seconds=0.0,
        events_timeout_seconds=5.0,
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = open_database(settings)
    yield database
    database.close()


def _policy(settings: Settings) -> EventPolicy:
    return EventPolicy.from_settings(settings)


def _dispatcher(db: Database, settings: Settings) -> EventDispatcher:
    return EventDispatcher.from_settings(db, settings)


def _start_an_invite(db: Database) -> str:
    invite, _token = create_invite(
        db,
        challenge_id="calculator",
        candidate="Ada Lovelace",
        expires_days=1,
        max_submissions=1,
        created_by=None,
        time_limit_hours=2,
        email="ada@example.com",
    )
    start_clock(db, invite.id)
    return invite.id


def _deliveries(db: Database) -> list[EventDelivery]:
    with db.reading() as session:
        return list(session.scalars(select(EventDelivery).order_by(EventDelivery.created_at)))


def test_a_delivery_is_signed_and_verifies(db: Database, settings: Settings) -> None:
    with receiving(Receiver(SECRET)) as receiver:
        add_endpoint(db, _policy(settings), receiver.url, ["invite.started"], secret=SECRET)
        invite_id = _start_an_invite(db)
        start_clock(db, invite_id)  # pressing Start again moves nothing, and sends nothing
        assert _dispatcher(db, settings).run_once() == 1
    [got] = receiver.received
    assert got.verified
    assert got.path == "/hook?source=test"
    body = json.loads(got.body)
    assert got.headers["x-takehome-event"] == body["event"] == "invite.started"
    assert got.headers["x-takehome-delivery"] == body["id"]
    assert got.headers["content-type"] == "application/json"
    assert body["created_at"].endswith("Z")
    assert body["data"]["invite_id"] == invite_id
    assert body["data"]["deadline"].endswith("Z")
    assert "Ada" not in got.body.decode()
    assert "ada@example.com" not in got.body.decode()
    [log] = delivery_log(db)
    assert log.delivery.state == "delivered"
    assert [(a.number, a.status_code, a.error) for a in log.attempts] == [(1, 200, None)]


def test_a_wrong_secret_does_not_verify(db: Database, settings: Settings) -> None:
    with receiving(Receiver("the-receiver-expects-this")) as receiver:
        add_endpoint(db, _policy(settings), receiver.url, ["invite.started"], secret=SECRET)
        _start_an_invite(db)
        _dispatcher(db, settings).run_once()
    assert [r.verified for r in receiver.received] == [False]


def test_a_generated_secret_is_returned_once_and_signs(db: Database, settings: Settings) -> None:
    with receiving(Receiver("")) as receiver:
        endpoint, secret = add_endpoint(db, _policy(settings), receiver.url, ["invite.started"])
        receiver.secret = secret
        _start_an_invite(db)
        _dispatcher(db, settings).run_once()
    assert len(secret) >= 32
    assert [e.id for e in list_endpoints(db)] == [endpoint.id]
    assert [r.verified for r in receiver.received] == [True]


def test_a_500_is_retried_with_backoff_in_the_log(db: Database, settings: Settings) -> None:
    with receiving(Receiver(SECRET, statuses=[500, 200])) as receiver:
        add_endpoint(db, _policy(settings), receiver.url, ["invite.started"], secret=SECRET)
        _start_an_invite(db)
        dispatcher = _dispatcher(db, settings)
        assert dispatcher.run_once() == 0
        [pending] = _deliveries(db)
        assert (pending.state, pending.attempts, pending.last_status) == ("pending", 1, 500)
        assert pending.last_error == "answered 500"
        assert dispatcher.run_once() == 1
    [first, second] = receiver.received
    assert first.body == second.body  # the same delivery, byte for byte
    [log] = delivery_log(db)
    assert log.delivery.state == "delivered"
    assert [(a.number, a.status_code) for a in log.attempts] == [(2, 200), (1, 500)]


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    exact = RetryPolicy(first_seconds=10, factor=6, max_seconds=3600, jitter=0)
    assert [exact.delay(n) for n in (1, 2, 3, 4)] == [10, 60, 360, 2160]
    assert exact.delay(9) == 3600
    jittered = RetryPolicy(first_seconds=10, factor=6, jitter=0.2)
    assert all(8 <= jittered.delay(1) <= 12 for _ in range(50))


def test_the_last_attempt_marks_the_delivery_failed(db: Database, settings: Settings) -> None:
    with receiving(Receiver(SECRET, statuses=[503])) as receiver:
        add_endpoint(db, _policy(settings), receiver.url, ["invite.started"], secret=SECRET)
        _start_an_invite(db)
        dispatcher = _dispatcher(db, settings.model_copy(update={"events_max_attempts": 2}))
        dispatcher.run_once()
        dispatcher.run_once()
        assert dispatcher.run_once() == 0  # nothing is due any more
    assert len(receiver.received) == 2
    [failed] = _deliveries(db)
    assert (failed.state, failed.attempts) == ("failed", 2)


def test_a_hanging_endpoint_times_out_and_blocks_no_other(
    db: Database, settings: Settings
) -> None:
    policy = _policy(settings)
    with (
        receiving(Receiver(SECRET, hang=True)) as hanging,
        receiving(Receiver(SECRET)) as healthy,
    ):
        add_endpoint(db, policy, hanging.url, ["invite.started"], secret=SECRET)
        add_endpoint(db, policy, healthy.url, ["invite.started"], secret=SECRET)
        _start_an_invite(db)
        sending = threading.Thread(target=_dispatcher(db, settings).run_once)
        sending.start()
        assert hanging.arrived.wait(10)
        assert healthy.arrived.wait(10)
        # The healthy endpoint's delivery is done while the hanging one still waits.
        while sending.is_alive() and not _delivered(db, healthy.url):
            sending.join(0.05)
        assert _delivered(db, healthy.url)
        assert sending.is_alive()
        sending.join(30)
    by_url = {_url(db, d.endpoint_id): d for d in _deliveries(db)}
    hung = by_url[hanging.url]
    assert hung.state == "pending"
    assert hung.last_error == "timed out after 5 s"
    with db.reading() as session:
        attempt = session.scalars(
            select(EventAttempt).where(EventAttempt.delivery_id == hung.id)
        ).one()
    assert attempt.status_code is None
    assert attempt.error == "timed out after 5 s"
    assert attempt.duration_ms > 0


def _url(db: Database, endpoint_id: str) -> str:
    return next(e.url for e in list_endpoints(db) if e.id == endpoint_id)


def _delivered(db: Database, url: str) -> bool:
    return any(d.state == "delivered" and _url(db, d.endpoint_id) == url for d in _deliveries(db))


def test_a_restart_loses_no_delivery(settings: Settings) -> None:
    with receiving(Receiver(SECRET)) as receiver:
        before = Wiring(settings)
        add_endpoint(before.db, _policy(settings), receiver.url, ["invite.started"], secret=SECRET)
        _start_an_invite(before.db)
        before.close()  # the process stops before its dispatcher sent anything
        after = Wiring(settings)
        assert after.event_dispatcher.run_once() == 1
        after.close()
    assert [r.verified for r in receiver.received] == [True]


def test_a_dead_dispatchers_lease_expires_a_live_one_holds(
    db: Database, settings: Settings
) -> None:
    with receiving(Receiver(SECRET)) as receiver:
        add_endpoint(db, _policy(settings), receiver.url, ["invite.started"], secret=SECRET)
        _start_an_invite(db)
        held = utcnow() + timedelta(seconds=60)
        with db.writing() as session:
            session.execute(
                update(EventDelivery).values(state="sending", lease_owner="other", next_at=held)
            )
        assert _dispatcher(db, settings).run_once() == 0  # another dispatcher is sending it
        assert receiver.received == []
        with db.writing() as session:
            session.execute(update(EventDelivery).values(next_at=utcnow() - timedelta(seconds=1)))
        assert _dispatcher(db, settings).run_once() == 1  # that one died: its lease ran out
    assert len(receiver.received) == 1


@pytest.mark.parametrize(
    ("url", "refusal"),
    [
        ("http://10.0.0.1/hook", EndpointAddressRefused),
        ("http://169.254.169.254/latest/meta-data", EndpointAddressRefused),
        ("http://[::ffff:192.168.1.1]/hook", EndpointAddressRefused),
        ("http://100.64.0.1/hook", EndpointAddressRefused),
        ("ftp://127.0.0.1/hook", EndpointRefused),
        ("file:///etc/passwd", EndpointRefused),
        ("http://user:pw@127.0.0.1/hook", EndpointRefused),
        ("http://127.0.0.1/hook#x", EndpointRefused),
        ("http://127.0.0.1:99999/hook", EndpointRefused),
        ("http://no-such-host.invalid/hook", EndpointRefused),
        ("http://127.0.0.1/a b", EndpointRefused),
    ],
)
def test_internal_and_odd_urls_are_refused(
    db: Database, settings: Settings, url: str, refusal: type[Exception]
) -> None:
    with pytest.raises(refusal):
        add_endpoint(db, _policy(settings), url, ["invite.started"])
    assert list_endpoints(db) == []


def test_loopback_and_http_need_their_settings(db: Database, settings: Settings) -> None:
    strict = EventPolicy.from_settings(Settings(data_dir=settings.data_dir))
    with pytest.raises(EndpointRefused, match="only https"):
        add_endpoint(db, strict, "http://127.0.0.1:1/hook", ["invite.started"])
    with pytest.raises(EndpointAddressRefused):
        add_endpoint(db, strict, "https://127.0.0.1:1/hook", ["invite.started"])
    assert list_endpoints(db) == []


def test_an_address_that_turned_internal_is_refused_at_send_time(
    db: Database, settings: Settings
) -> None:
    with receiving(Receiver(SECRET)) as receiver:
        port = int(receiver.url.split(":")[2].split("/")[0])
        url = f"http://receiver.test:{port}/hook"
        configure = EventPolicy(True, True, 5.0, resolver=lambda _h, _p: ["127.0.0.1"])
        add_endpoint(db, configure, url, ["invite.started"], secret=SECRET)
        _start_an_invite(db)
        rebound = EventPolicy(True, True, 5.0, resolver=lambda _h, _p: ["10.1.2.3"])
        dispatcher = EventDispatcher(db, rebound, RetryPolicy(first_seconds=0))
        assert dispatcher.run_once() == 0
        assert receiver.received == []  # no connection was made
        [pending] = _deliveries(db)
        assert pending.last_error is not None
        assert pending.last_error.startswith("address_refused: ")
        assert "10.1.2.3" in pending.last_error
        pinned = EventDispatcher(db, configure, RetryPolicy(first_seconds=0))
        assert pinned.run_once() == 1
    [got] = receiver.received
    assert got.headers["host"] == f"receiver.test:{port}"  # the name, sent to the checked address


def test_a_redirect_is_not_followed(db: Database, settings: Settings) -> None:
    with receiving(Receiver(SECRET, statuses=[302])) as receiver:
        add_endpoint(db, _policy(settings), receiver.url, ["invite.started"], secret=SECRET)
        _start_an_invite(db)
        assert _dispatcher(db, settings).run_once() == 0
    assert len(receiver.received) == 1
    [pending] = _deliveries(db)
    assert (pending.last_status, pending.last_error) == (302, "a redirect: not followed")


def test_redeliver_sends_the_same_delivery_again(db: Database, settings: Settings) -> None:
    with receiving(Receiver(SECRET)) as receiver:
        add_endpoint(db, _policy(settings), receiver.url, ["invite.started"], secret=SECRET)
        _start_an_invite(db)
        dispatcher = _dispatcher(db, settings)
        dispatcher.run_once()
        [delivery] = _deliveries(db)
        answer = dispatcher.redeliver(delivery.id)
    assert answer.ok
    first, again = receiver.received
    assert again.body == first.body
    assert again.headers["x-takehome-delivery"] == delivery.id
    [log] = delivery_log(db)
    assert [(a.number, a.redelivery) for a in log.attempts] == [(2, True), (1, False)]


def test_events_and_secrets_are_checked(db: Database, settings: Settings) -> None:
    policy = _policy(settings)
    with pytest.raises(InvalidEndpoint, match="unknown event"):
        add_endpoint(db, policy, "http://127.0.0.1:1/", ["submission.deleted"])
    with pytest.raises(InvalidEndpoint, match="at least one"):
        add_endpoint(db, policy, "http://127.0.0.1:1/", [])
    with pytest.raises(InvalidEndpoint, match="16 to 200"):
        add_endpoint(db, policy, "http://127.0.0.1:1/", ["invite.started"], secret="short")
    assert list_endpoints(db) == []


def test_an_unsubscribed_event_writes_nothing_and_removal_clears(
    db: Database, settings: Settings
) -> None:
    endpoint, _secret = add_endpoint(
        db, _policy(settings), "http://127.0.0.1:1/", ["submission.graded"]
    )
    _start_an_invite(db)
    assert _deliveries(db) == []
    other, _ = add_endpoint(db, _policy(settings), "http://127.0.0.1:1/", ["invite.started"])
    _start_an_invite(db)
    assert len(_deliveries(db)) == 1
    remove_endpoint(db, other.id)
    assert _deliveries(db) == []
    assert [e.id for e in list_endpoints(db)] == [endpoint.id]


def _documented_verify() -> Callable[[str, bytes, str], bool]:
    """The `verify` function of docs/events.md, as a receiver would copy it."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "events.md").read_text("utf-8")
    section = page.split("### Verifying a delivery", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/events.md", "exec"), namespace)  # noqa: S102 - our own docs
    verify: Callable[[str, bytes, str], bool] = namespace["verify"]
    return verify


def test_the_documented_receiver_check_verifies_a_real_delivery(
    db: Database, settings: Settings
) -> None:
    verify = _documented_verify()
    with receiving(Receiver(SECRET)) as receiver:
        add_endpoint(db, _policy(settings), receiver.url, ["invite.started"], secret=SECRET)
        _start_an_invite(db)
        _dispatcher(db, settings).run_once()
    [got] = receiver.received
    header = got.headers["x-takehome-signature-256"]
    assert verify(SECRET, got.body, header)
    assert not verify("another-secret-0123456789", got.body, header)
    assert not verify(SECRET, got.body + b" ", header)


def _two_dispatchers_send_each_once(db: Database, settings: Settings) -> None:
    with receiving(Receiver(SECRET)) as receiver:
        add_endpoint(db, _policy(settings), receiver.url, ["invite.started"], secret=SECRET)
        for _ in range(6):
            _start_an_invite(db)
        dispatchers = [_dispatcher(db, settings), _dispatcher(db, settings)]
        threads = [threading.Thread(target=d.run_once) for d in dispatchers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    ids = [r.headers["x-takehome-delivery"] for r in receiver.received]
    assert len(ids) == len(set(ids)) == 6
    assert {d.state for d in _deliveries(db)} == {"delivered"}


def test_two_dispatchers_send_each_delivery_once(db: Database, settings: Settings) -> None:
    _two_dispatchers_send_each_once(db, settings)


@pytest.mark.services
def test_postgres_two_dispatchers_send_each_delivery_once(
    postgres_database: str, settings: Settings
) -> None:
    on_postgres = settings.model_copy(update={"database_url": postgres_database})
    db = open_database(on_postgres)
    try:
        _two_dispatchers_send_each_once(db, on_postgres)
    finally:
        db.close()


def test_the_dispatcher_thread_sends_what_becomes_due(db: Database, settings: Settings) -> None:
    dispatcher = _dispatcher(db, settings.model_copy(update={"events_poll_seconds": 0.05}))
    with receiving(Receiver(SECRET)) as receiver:
        add_endpoint(db, _policy(settings), receiver.url, ["invite.started"], secret=SECRET)
        dispatcher.start()
        try:
            _start_an_invite(db)  # after the thread started: found at a later poll
            assert receiver.arrived.wait(30)
        finally:
            dispatcher.stop()
    assert _delivered(db, receiver.url)  # stop() waited for the attempt to be recorded
    assert [r.verified for r in receiver.received] == [True]


def test_a_receiver_dripping_its_answer_is_cut_off(db: Database, settings: Settings) -> None:
    quick = settings.model_copy(update={"events_timeout_seconds": 1.0})
    with receiving(Receiver(SECRET, drip=True)) as receiver:
        add_endpoint(db, _policy(quick), receiver.url, ["invite.started"], secret=SECRET)
        _start_an_invite(db)
        assert _dispatcher(db, quick).run_once() == 0
    [pending] = _deliveries(db)
    assert (pending.state, pending.last_error) == ("pending", "cut off after 3 s")


def test_a_batch_bigger_than_the_senders_is_sent_once_each(
    db: Database, settings: Settings
) -> None:
    """Rows waiting for a free sender hold no lease that could pass before they are tried:
    a second dispatcher polling meanwhile sends none of them again."""
    slow = settings.model_copy(update={"events_senders": 1, "events_lease_seconds": 1.0})
    with receiving(Receiver(SECRET, delay=0.3)) as receiver:
        add_endpoint(db, _policy(slow), receiver.url, ["invite.started"], secret=SECRET)
        for _ in range(6):
            _start_an_invite(db)
        other = EventDispatcher(
            db, _policy(slow), RetryPolicy(), senders=1, lease_seconds=1.0, poll_seconds=0.05
        )
        other.start()
        try:
            sent = _dispatcher(db, slow).run_once()
        finally:
            other.stop()
    ids = [r.headers["x-takehome-delivery"] for r in receiver.received]
    assert len(ids) == len(set(ids)) == 6
    assert sent <= 6
    assert {(d.state, d.attempts) for d in _deliveries(db)} == {("delivered", 1)}
    with db.reading() as session:
        assert len(list(session.scalars(select(EventAttempt)))) == 6


def test_redeliver_while_an_attempt_is_under_way_is_refused(
    db: Database, settings: Settings
) -> None:
    with receiving(Receiver(SECRET, hang=True)) as receiver:
        add_endpoint(db, _policy(settings), receiver.url, ["invite.started"], secret=SECRET)
        _start_an_invite(db)
        dispatcher = _dispatcher(db, settings)
        sending = threading.Thread(target=dispatcher.run_once)
        sending.start()
        assert receiver.arrived.wait(10)
        [delivery] = _deliveries(db)
        with pytest.raises(DeliveryBusy):
            _dispatcher(db, settings).redeliver(delivery.id)
        receiver.release()
        sending.join(30)
    assert len(receiver.received) == 1
    [log] = delivery_log(db)
    assert log.delivery.attempts == 1
    assert [a.number for a in log.attempts] == [1]


def test_an_endpoint_removed_during_an_attempt_gives_no_error(
    db: Database, settings: Settings
) -> None:
    errors: list[BaseException] = []

    def send() -> None:
        try:
            _dispatcher(db, settings).run_once()
        except BaseException as exc:  # the test asserts there is none
            errors.append(exc)

    with receiving(Receiver(SECRET, hang=True)) as receiver:
        endpoint, _secret = add_endpoint(
            db, _policy(settings), receiver.url, ["invite.started"], secret=SECRET
        )
        _start_an_invite(db)
        sending = threading.Thread(target=send)
        sending.start()
        assert receiver.arrived.wait(10)
        remove_endpoint(db, endpoint.id)
        receiver.release()
        sending.join(30)
    assert not sending.is_alive()
    assert errors == []
    assert _deliveries(db) == []
    with db.reading() as session:
        assert list(session.scalars(select(EventAttempt))) == []


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://example.com/h\u00e9", "percent-encode"),
        ("https://b\u00fccher.example/hook", "punycode"),
    ],
)
def test_a_non_ascii_url_is_refused_at_add(
    db: Database, settings: Settings, url: str, says: str
) -> None:
    with pytest.raises(EndpointRefused, match=says):
        add_endpoint(db, _policy(settings), url, ["invite.started"], secret=SECRET)
    assert list_endpoints(db) == []


def test_an_unencodable_request_is_a_failed_attempt_not_a_crash() -> None:
    target = Target("http://127.0.0.1:9/h\u00e9", "http", "127.0.0.1", 9, "/h\u00e9", "127.0.0.1")
    answer = post(target, b"{}", {}, 2.0)
    assert answer.status is None
    assert answer.error is not None
    assert "UnicodeEncodeError" in answer.error
