import asyncio

import aiohttp
import pytest
from fakes import FakeUpstream

from dashboard.client import (
    NotFoundError,
    PermanentError,
    Policy,
    Upstream,
    UpstreamError,
    upstream_url,
)

FAST = Policy(cap=2, attempt_timeout=0.2, attempts=3, backoff=0.01)


def run(scenario, script=None, policy=FAST):
    async def main():
        async with FakeUpstream() as fake, aiohttp.ClientSession() as session:
            fake.script.update(script or {})
            upstream = Upstream("profile", fake.url, policy)
            return await scenario(upstream, session), fake

    return asyncio.run(main())


def test_answers_json():
    body, fake = run(lambda up, s: up.get_json(s, "/users/u1"))
    assert body == {"id": "u1", "name": "n-u1", "tier": "gold"}
    assert fake.calls["u1"] == 1


def test_retries_transient_failures():
    script = {"u1": [(503, {}, 0), ("reset", None, 0), (200, None, 0)]}
    body, fake = run(lambda up, s: up.get_json(s, "/users/u1"), script)
    assert body["id"] == "u1"
    assert fake.calls["u1"] >= 3


def test_gives_up_after_the_last_attempt():
    async def scenario(up, s):
        with pytest.raises(UpstreamError):
            await up.get_json(s, "/users/u1")

    _, fake = run(scenario, {"u1": [(503, {}, 0)]})
    assert fake.calls["u1"] == 3


@pytest.mark.parametrize("step", [(404, {}, 0), (500, {}, 0), ("junk", None, 0)])
def test_permanent_failures_are_not_retried(step):
    async def scenario(up, s):
        with pytest.raises(PermanentError):
            await up.get_json(s, "/users/u1")

    _, fake = run(scenario, {"u1": [step]})
    assert fake.calls["u1"] == 1


def test_not_found_is_its_own_error():
    async def scenario(up, s):
        with pytest.raises(NotFoundError):
            await up.get_json(s, "/users/u1")

    run(scenario, {"u1": [(404, {}, 0)]})


def test_attempts_time_out():
    async def scenario(up, s):
        with pytest.raises(UpstreamError):
            await up.get_json(s, "/users/u1")

    _, fake = run(scenario, {"u1": [(200, None, 1.0)]})
    assert fake.calls["u1"] == 3


def test_concurrency_is_capped():
    async def scenario(up, s):
        return await asyncio.gather(*(up.get_json(s, f"/users/u{i}") for i in range(8)))

    script = {f"u{i}": [(200, None, 0.05)] for i in range(8)}
    bodies, fake = run(scenario, script)
    assert len(bodies) == 8
    assert fake.peak >= 2


def test_backoff_grows_with_jitter():
    upstream = Upstream("x", "http://127.0.0.1:1", Policy(cap=1, backoff=0.1))
    for _ in range(20):
        assert 0.05 <= upstream.delay(1) <= 0.1
        assert 0.1 <= upstream.delay(2) <= 0.2


def test_url_from_environment(monkeypatch):
    monkeypatch.setenv("ORDERS_URL", "http://127.0.0.1:1234/")
    assert upstream_url("orders", "http://127.0.0.1:9102") == "http://127.0.0.1:1234"
    assert upstream_url("profile", "http://127.0.0.1:9101") == "http://127.0.0.1:9101"
