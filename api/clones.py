"""Git clone slots: the threads one service process fetches repositories on, shared fairly.

Clones run on worker threads of their own (`CloneSlots`, `clone_slots` per process; one
`CloneSlots` belongs to the app's `Services`), never on AnyIO's shared default pool that every
sync route uses: a burst of Git submissions or pushes cannot starve the rest of the service.
When every slot is busy the request is refused at once with `503 queue_full` and `Retry-After`.

Fairness: a clone names who it is for (`holders`: the invite, and the repository binding of a
push), and each holder has at most `per_holder` clones in flight (`clones_per_invite`, 1 by
default). One more from the same invite or binding is refused at once with `429 queue_full`,
so a single candidate's slow repositories cannot take every slot from the others.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable

import anyio.to_thread
from anyio import CapacityLimiter

from runner.gitintake import GitSnapshot
from runner.queue import QueueFull

__all__ = ["CLONE_SLOTS", "CloneSlots"]

CLONE_SLOTS = 4
"""Clones one service process runs at once by default (setting `clone_slots`)."""
_CLONE_RETRY_AFTER = 15


class CloneSlots:
    """At most `size` clones at once, each on a thread of this object's own limiter, and at
    most `per_holder` for one holder. A clone past either is refused at once (`QueueFull`),
    never queued behind a 60 s fetch."""

    def __init__(self, size: int = CLONE_SLOTS, per_holder: int = 1) -> None:
        self.size = size
        self.per_holder = per_holder
        self._free = threading.BoundedSemaphore(size)  # non-blocking, whatever the event loop
        self._threads = CapacityLimiter(size)
        self._lock = threading.Lock()
        self._held: Counter[str] = Counter()

    def try_take(self) -> bool:
        """Take a slot if one is free (the caller must `give_back` it)."""
        return self._free.acquire(blocking=False)

    def give_back(self) -> None:
        """Free a slot taken with `try_take`."""
        self._free.release()

    def _hold(self, holders: tuple[str, ...]) -> None:
        with self._lock:
            busy = [h for h in holders if self._held[h] >= self.per_holder]
            if busy:
                raise QueueFull(
                    f"a Git fetch for this {busy[0].partition(':')[0]} is already running:"
                    " wait for it to finish",
                    scope="challenge",
                    retry_after=_CLONE_RETRY_AFTER,
                )
            self._held.update(holders)

    def _release(self, holders: tuple[str, ...]) -> None:
        with self._lock:
            self._held.subtract(holders)
            for holder in holders:
                if self._held[holder] <= 0:
                    del self._held[holder]

    def in_flight(self, holder: str) -> int:
        """Clones running for `holder` now."""
        with self._lock:
            return self._held[holder]

    async def run(
        self, work: Callable[[], GitSnapshot], holders: Iterable[str] = ()
    ) -> GitSnapshot:
        """`work()` on a clone thread; `QueueFull` when one of `holders` (e.g. "invite:<id>")
        has its clones in flight (429), or when every slot is busy (503); Retry-After on both."""
        held = tuple(dict.fromkeys(holders))
        self._hold(held)
        try:
            if not self.try_take():
                raise QueueFull(
                    f"all {self.size} Git fetches of this server are busy: try again shortly",
                    scope="overall",
                    retry_after=_CLONE_RETRY_AFTER,
                )
            try:
                return await anyio.to_thread.run_sync(work, limiter=self._threads)
            finally:
                self.give_back()
        finally:
            self._release(held)
