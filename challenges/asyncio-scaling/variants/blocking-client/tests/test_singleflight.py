import asyncio

import pytest

from dashboard.singleflight import SingleFlight


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_concurrent_callers_share_one_call():
    calls = []

    async def make():
        calls.append(1)
        await asyncio.sleep(0.02)
        return len(calls)

    async def main():
        flight = SingleFlight()
        return await asyncio.gather(*(flight.get("k", make) for _ in range(10)))

    assert asyncio.run(main()) == [1] * 10
    assert len(calls) == 1


def test_success_is_cached_until_ttl():
    clock = Clock()
    calls = []

    async def make():
        calls.append(1)
        return len(calls)

    async def main():
        flight = SingleFlight(ttl=5.0, clock=clock)
        first = await flight.get("k", make)
        clock.now = 4.9
        cached = await flight.get("k", make)
        clock.now = 5.1
        fresh = await flight.get("k", make)
        return first, cached, fresh

    assert asyncio.run(main()) == (1, 1, 2)


def test_failures_are_not_cached():
    calls = []

    async def make():
        calls.append(1)
        raise RuntimeError("down")

    async def main():
        flight = SingleFlight()
        for _ in range(2):
            with pytest.raises(RuntimeError):
                await flight.get("k", make)

    asyncio.run(main())
    assert len(calls) == 2


def test_a_cancelled_caller_does_not_cancel_the_others():
    async def make():
        await asyncio.sleep(0.05)
        return "v"

    async def main():
        flight = SingleFlight()
        first = asyncio.ensure_future(flight.get("k", make))
        second = asyncio.ensure_future(flight.get("k", make))
        await asyncio.sleep(0.01)
        first.cancel()
        return await second

    assert asyncio.run(main()) == "v"


def test_cache_is_bounded():
    clock = Clock()

    async def main():
        flight = SingleFlight(ttl=1.0, max_entries=3, clock=clock)
        for key in range(3):
            await flight.get(key, _value(key))
        clock.now = 2.0  # all expired: pruned when the next one is stored
        await flight.get("new", _value("new"))
        for key in range(4, 8):
            await flight.get(key, _value(key))
        return len(flight._cache)

    assert asyncio.run(main()) <= 3


def _value(v):
    async def make():
        return v

    return make
