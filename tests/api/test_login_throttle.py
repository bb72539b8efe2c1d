"""Login throttling and password checks off the event loop (issue 15, H2).

The throttle runs on a controlled clock (`LoginThrottle.clock`): no test waits for a lockout.
The flood test runs the real app under uvicorn on loopback, with password checks held at a gate,
and asserts on ordering: `/healthz` answers while every login is still pending.
"""

from __future__ import annotations

import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from typing import Literal

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.services import Services
from runner.store import secrets
from runner.store.records import create_reviewer

HTML = {"Accept": "text/html"}
EMAIL = "rev@example.com"
PASSWORD = "correct horse battery"


class _Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(svc: Services) -> _Clock:
    create_reviewer(svc.db, EMAIL, PASSWORD)
    frozen = _Clock()
    svc.login_throttle.clock = frozen
    return frozen


def _login(client: TestClient, password: str, email: str = EMAIL) -> tuple[int, str | None]:
    page = client.get("/login", headers=HTML)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    form = {"email": email, "password": password, "csrf_token": token.group(1)}
    response = client.post("/login", data=form, headers=HTML, follow_redirects=False)
    return response.status_code, response.headers.get("retry-after")


def test_thirty_wrong_passwords_then_the_right_one_is_refused(
    client: TestClient, svc: Services, clock: _Clock
) -> None:
    answers = [_login(client, f"guess {n}")[0] for n in range(30)]
    free = svc.settings.login_free_failures
    assert answers[:free] == [401] * free
    assert answers[free:] == [429] * (30 - free)
    status, retry_after = _login(client, PASSWORD)
    # Before: the right password logged in (303) after any number of wrong ones.
    assert status == 429
    assert retry_after is not None
    assert int(retry_after) >= 1
    assert "takehome_session" not in client.cookies
    clock.now += int(retry_after)  # the lockout ends: the reviewer is not locked out for good
    assert _login(client, PASSWORD)[0] == 303
    assert _login(client, "one typo")[0] == 401  # the success reset the account's count


def test_the_throttle_answers_429_without_checking_the_password(
    client: TestClient, svc: Services, clock: _Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(svc.settings.login_free_failures):
        _login(client, f"guess {n}")
    checked: list[str] = []
    real = secrets.verify_password

    def counting(password_hash: str | None, password: str) -> bool:
        checked.append(password)
        return real(password_hash, password)

    monkeypatch.setattr("runner.store.records.verify_password", counting)
    assert _login(client, PASSWORD)[0] == 429
    assert checked == []  # a flood during a lockout costs no hashing


def test_an_address_spraying_accounts_is_throttled_not_the_others(
    app: FastAPI, svc: Services, clock: _Clock
) -> None:
    with (
        TestClient(app, client=("203.0.113.7", 4000)) as attacker,
        TestClient(app, client=("198.51.100.2", 4000)) as reviewer,
    ):
        for n in range(svc.settings.login_free_failures_per_address):
            assert _login(attacker, "guess", email=f"user{n}@example.com")[0] == 401
        assert _login(attacker, "guess", email="other@example.com")[0] == 429
        assert _login(reviewer, PASSWORD)[0] == 303


# --- the flood ----------------------------------------------------------------------------


class _GatedHasher(PasswordHasher):
    """The real argon2 hasher whose `verify` waits at a gate: a slow hash made observable."""

    def __init__(self, real: PasswordHasher) -> None:
        super().__init__(
            time_cost=real.time_cost,
            memory_cost=real.memory_cost,
            parallelism=real.parallelism,
            hash_len=real.hash_len,
            salt_len=real.salt_len,
            type=real.type,
        )
        self.gate = threading.Event()
        self.inside = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        with self._lock:
            self.inside += 1
        self.gate.wait(60)
        return super().verify(hash, password)


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> Iterator[_GatedHasher]:
    hasher = _GatedHasher(secrets._HASHER)
    monkeypatch.setattr(secrets, "_HASHER", hasher)
    yield hasher
    hasher.gate.set()


def _open(url: str, data: bytes | None = None, cookie: str = "") -> tuple[int, str, str]:
    """(status, Set-Cookie, body) of one request to the loopback server (errors included)."""
    headers = {"Cookie": cookie} if cookie else {}
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            return response.status, response.headers["set-cookie"] or "", response.read().decode()
    except urllib.error.HTTPError as answer:
        return answer.code, "", ""


def _post_login(base: str, email: str, results: list[int]) -> None:
    _status, set_cookie, page = _open(f"{base}/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    body = urllib.parse.urlencode({"email": email, "password": "wrong", "csrf_token": token[1]})
    status, _, _ = _open(f"{base}/login", body.encode(), set_cookie.split(";")[0])
    results.append(status)


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30  # a bound on a hang, not a measured time
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_a_login_flood_leaves_the_event_loop_and_thread_pool_free(
    live_server: tuple[str, Services], gated: _GatedHasher
) -> None:
    base, svc = live_server
    clients = 8
    results: list[int] = []
    threads = [
        threading.Thread(target=_post_login, args=(base, f"u{n}@example.com", results))
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    limit = svc.settings.login_hash_threads
    # Before: the first login's argon2 ran on the event loop, and nothing else was served.
    _until(lambda: gated.inside == limit, f"{limit} password checks started")
    assert _open(f"{base}/healthz")[0] == 200
    assert _open(f"{base}/login")[0] == 200  # a sync route, on the shared thread pool
    assert results == []  # every login is still pending ...
    assert gated.inside == limit  # ... and only `login_hash_threads` of them hold a thread
    gated.gate.set()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == [401] * clients
    assert gated.inside == clients
