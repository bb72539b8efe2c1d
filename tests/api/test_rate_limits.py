"""Submissions are checked before their body is read or their repository cloned, rate limited per
invite and per client address, and clone slots are shared fairly (issue 15, M2 and M3)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import gitsubmit
from api.clones import CloneSlots
from api.errors import RateLimited
from api.ratelimit import Buckets
from api.services import Services
from runner.gitintake import GitFetchFailed, GitSnapshot
from runner.queue import QueueFull
from runner.settings import Settings
from runner.store.models import utcnow
from runner.store.records import invite_for_token
from tests.asgi import call
from tests.fakeservice import reference_archive, stored

_MULTIPART = {"Content-Type": "multipart/form-data; boundary=x"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "submit_burst_per_invite": 2,
            "submit_per_minute_per_invite": 1.0,
            "submit_burst_per_address": 4,
            "submit_per_minute_per_address": 1.0,
            "git_allowed_hosts": ["127.0.0.1"],
            "git_allow_loopback": True,
            "git_allow_http": True,
        }
    )


def _body() -> Iterator[bytes]:
    return (b"x" * 1024 for _ in range(64))


def test_buckets_refill_and_say_when() -> None:
    now = [0.0]
    buckets = Buckets(2, 60.0, clock=lambda: now[0])  # one token a second
    buckets.take("a", "invite")
    buckets.take("a", "invite")
    with pytest.raises(RateLimited) as refused:
        buckets.take("a", "invite")
    assert refused.value.retry_after == 1
    buckets.take("b", "invite")  # another key has its own bucket
    now[0] = 1.0
    buckets.take("a", "invite")  # a token came back


def test_an_invite_past_its_burst_gets_429_before_its_body_is_read(
    app: FastAPI, make_invite: Callable[..., str]
) -> None:
    token = make_invite(max_submissions=10)
    for _ in range(2):  # two attempts (bad archives) spend the invite's burst
        spent = call(app, "POST", f"/i/{token}/submissions", _MULTIPART, iter([b"junk"]))
        assert spent.status == 400
    answer = call(app, "POST", f"/i/{token}/submissions", _MULTIPART, _body())
    assert answer.status == 429
    assert answer.json()["error"] == "rate_limited"
    assert int(answer.headers["retry-after"]) >= 1
    assert answer.pulled == 0


def test_one_address_past_its_burst_gets_429_across_invites(
    app: FastAPI, make_invite: Callable[..., str]
) -> None:
    tokens = [make_invite(who=f"C{i}") for i in range(5)]
    answers = [
        call(app, "POST", f"/i/{t}/submissions", _MULTIPART, iter([b"junk"]), client="10.1.1.1")
        for t in tokens
    ]
    assert [a.status for a in answers] == [400, 400, 400, 400, 429]
    other = call(app, "POST", f"/i/{tokens[4]}/submissions", _MULTIPART, iter([b"j"]))
    assert other.status == 400  # another address is not limited by this one


def _expire(svc: Services, token: str) -> None:
    with svc.db.writing() as session:
        invite = invite_for_token(session, token)
        assert invite is not None
        invite.expires_at = utcnow() - timedelta(minutes=1)


def test_an_expired_invite_is_refused_before_its_upload_is_read(
    app: FastAPI, svc: Services, make_invite: Callable[..., str]
) -> None:
    token = make_invite()
    _expire(svc, token)
    answer = call(app, "POST", f"/i/{token}/submissions", _MULTIPART, _body())
    assert (answer.status, answer.json()["error"]) == (410, "invite_expired")
    assert answer.pulled == 0


def test_a_used_up_invite_is_refused_before_its_upload_is_read(
    client: TestClient, app: FastAPI, make_invite: Callable[..., str]
) -> None:
    token = make_invite(max_submissions=1)
    files = {"archive": ("s.tar.gz", reference_archive(), "application/gzip")}
    assert client.post(f"/i/{token}/submissions", files=files).status_code == 202
    answer = call(app, "POST", f"/i/{token}/submissions", _MULTIPART, _body())
    assert (answer.status, answer.json()["error"]) == (409, "limit_reached")
    assert answer.pulled == 0


def test_an_expired_invite_clones_nothing(
    client: TestClient, svc: Services, make_invite: Callable[..., str], monkeypatch: Any
) -> None:
    clones: list[str] = []

    def clone(url: str, *_args: Any) -> GitSnapshot:
        clones.append(url)
        raise AssertionError("no clone for an expired invite")

    monkeypatch.setattr(gitsubmit, "clone_snapshot", clone)
    token = make_invite()
    _expire(svc, token)
    answer = client.post(f"/i/{token}/submissions", json={"git_url": "http://127.0.0.1:9/r.git"})
    assert (answer.status_code, answer.json()["error"]) == (410, "invite_expired")
    assert clones == []
    assert stored(svc) == (0, 0, 0)


def test_one_invite_gets_one_clone_at_a_time(
    client: TestClient, svc: Services, make_invite: Callable[..., str], monkeypatch: Any
) -> None:
    started, release = threading.Event(), threading.Event()

    def slow_clone(*_args: Any) -> GitSnapshot:
        started.set()
        release.wait(20)
        raise GitFetchFailed("released")  # the first request's outcome does not matter

    monkeypatch.setattr(gitsubmit, "clone_snapshot", slow_clone)
    mine, theirs = make_invite(who="A"), make_invite(who="B")
    body = {"git_url": "http://127.0.0.1:9/r.git"}
    first = threading.Thread(
        target=lambda: client.post(f"/i/{mine}/submissions", json=body), daemon=True
    )
    first.start()
    try:
        assert started.wait(20)
        again = client.post(f"/i/{mine}/submissions", json=body)
        assert (again.status_code, again.json()["error"]) == (429, "queue_full")
        assert int(again.headers["Retry-After"]) > 0
        assert svc.clone_slots.in_flight(f"invite:{theirs}") == 0
        assert svc.clone_slots.try_take()  # free slots remain for everyone else
        svc.clone_slots.give_back()
    finally:
        release.set()
        first.join(20)
    assert svc.clone_slots.in_flight(f"invite:{mine}") == 0


def test_clone_slots_limit_each_holder_and_free_them() -> None:
    slots = CloneSlots(4, per_holder=1)
    release = threading.Event()

    def work() -> GitSnapshot:
        release.wait(10)
        raise LookupError("done")

    async def scenario() -> None:
        async def first() -> None:
            with pytest.raises(LookupError):
                await slots.run(work, ("invite:a", "binding:1"))

        async with anyio.create_task_group() as group:
            group.start_soon(first)
            with anyio.fail_after(10):
                while slots.in_flight("binding:1") == 0:
                    await anyio.sleep(0.01)
            for holders in (("invite:a",), ("invite:b", "binding:1")):
                with pytest.raises(QueueFull) as busy:
                    await slots.run(work, holders)
                assert busy.value.scope == "challenge"
            release.set()
        assert slots.in_flight("invite:a") == slots.in_flight("binding:1") == 0

    anyio.run(scenario)
