"""Git clone slots: the threads one service process fetches repositories on.

Clones run on worker threads of their own (`CloneSlots`, `CLONE_SLOTS` per process; one
`CloneSlots` belongs to the app's `Services`), never on AnyIO's shared default pool that every
sync route uses: a burst of Git submissions or pushes cannot starve the rest of the service.
When every slot is busy the request is refused at once with `503 queue_full` and `Retry-After`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import anyio.to_thread
from anyio import CapacityLimiter

from runner.gitintake import GitSnapshot
from runner.queue import QueueFull

__all__ = ["CLONE_SLOTS", "CloneSlots"]

CLONE_SLOTS = 4
"""Clones one service process runs at once; one more is refused with 503 and Retry-After."""
_CLONE_RETRY_AFTER = 15


class CloneSlots:
    """At most `size` clones at once, each on a thread of this object's own limiter. A clone
    past that is refused at once (`QueueFull`, 503), never queued behind a 60 s fetch."""

    def __init__(self, size: int = CLONE_SLOTS) -> None:
        self.size = size
        self._free = threading.BoundedSemaphore(size)  # non-blocking, whatever the event loop
        self._threads = CapacityLimiter(size)

    def try_take(self) -> bool:
        """Take a slot if one is free (the caller must `give_back` it)."""
        return self._free.acquire(blocking=False)

    def give_back(self) -> None:
        """Free a slot taken with `try_take`."""
        self._free.release()

    async def run(self, work: Callable[[], GitSnapshot]) -> GitSnapshot:
        """`work()` on a clone thread; `QueueFull` (overall, Retry-After) when all are busy."""
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
