"""Coalescing of identical in-flight calls plus a short-lived cache of their successes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any


class SingleFlight:
    """`await get(key, make)`: one `make()` per key at a time, shared by every caller.

    A success is kept for `ttl` seconds (at most `max_entries` keys); a failure is never cached.
    The shared call runs as its own task, so a caller that gives up (or is cancelled) does not
    cancel it for the others.
    """

    def __init__(
        self,
        ttl: float = 5.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._cache: dict[Hashable, tuple[float, Any]] = {}
        self._inflight: dict[Hashable, asyncio.Task[Any]] = {}

    async def get(self, key: Hashable, make: Callable[[], Awaitable[Any]]) -> Any:
        """The cached value, the in-flight call's result, or a new call's."""
        hit = self._cache.get(key)
        if hit is not None and hit[0] > self._clock():
            return hit[1]
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(make())
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._settle(key, done))
        return await asyncio.shield(task)

    def _settle(self, key: Hashable, task: asyncio.Task[Any]) -> None:
        self._inflight.pop(key, None)
        if task.cancelled() or task.exception() is not None:
            return
        if len(self._cache) >= self._max:
            now = self._clock()
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            if len(self._cache) >= self._max:
                self._cache.clear()
        self._cache[key] = (self._clock() + self._ttl, task.result())
