"""The dispatcher: publishes claimable runs to the Celery broker, from the database.

The database is the record of runs; a broker message is only a nudge carrying a run id. The
dispatcher (a thread of `takehome serve` with the celery queue) polls every `dispatch_seconds`,
or at once when intake `wake()`s it, and publishes each claimable run it has not published yet:

- a new run (intake, regrade) or one due again after a retry backoff;
- a run whose worker died, once its lease expires (its message may still sit unacknowledged in
  Redis for the whole visibility timeout; the lease is the fast path);
- a run the broker failed to take (Redis down at intake): publishing is retried on every poll,
  so runs enqueued while Redis was down are published once it is back;
- a run still queued `republish_seconds` after its message went out (a broker that lost its
  data): published again.

A run is remembered by (id, attempts, state), so a run taken over after a crash (attempts went
up) is published again at once. Duplicate messages are harmless: the worker's claim in the
database decides, and a message for a run that is not claimable is dropped. Several service
replicas each run a dispatcher; that only adds duplicates.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from runner.queue import RunQueue

__all__ = ["Dispatcher"]

_log = logging.getLogger("takehome.dispatch")

Publish = Callable[[str], None]


class Dispatcher:
    """Publishes claimable runs of `queue` through `publish(run_id)` (which may raise)."""

    def __init__(
        self,
        queue: RunQueue,
        publish: Publish,
        *,
        interval: float = 1.0,
        republish_seconds: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._queue = queue
        self._publish = publish
        self._interval = interval
        self._republish = republish_seconds
        self._clock = clock
        self._sent: dict[tuple[str, int, str], float] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.broker_ok = True
        """False while the last publish failed (the broker is unreachable)."""

    def sweep(self) -> int:
        """Publish what is due; returns how many messages went out."""
        now = self._clock()
        pending = self._queue.claimable_keys()
        self._sent = {key: at for key, at in self._sent.items() if key in pending}
        sent = 0
        for key in pending:
            last = self._sent.get(key)
            if last is not None and now - last < self._republish:
                continue
            try:
                self._publish(key[0])
            except Exception as exc:  # the broker is down: keep the rest for the next poll
                if self.broker_ok:
                    _log.warning("cannot publish run %s: %s", key[0], exc)
                self.broker_ok = False
                break
            self.broker_ok = True
            self._sent[key] = now
            sent += 1
        return sent

    def wake(self) -> None:
        """Sweep now (intake calls this after inserting a run)."""
        self._wake.set()

    def start(self) -> None:
        """Sweep in a daemon thread until `stop()`."""
        self._thread = threading.Thread(target=self._loop, daemon=True, name="takehome-dispatch")
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.sweep()
            except Exception:  # the database briefly away: try again on the next poll
                _log.exception("dispatcher: sweep failed")
            self._wake.wait(self._interval)
            self._wake.clear()

    def stop(self) -> None:
        """Stop the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
