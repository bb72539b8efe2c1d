"""Streams from the engine: draining an exec's output with a cap, and closing streams for good."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from sandbox.spec import SandboxFailure

__all__ = ["OutputPump", "close_stream"]

# How many times the reader thread is started before a start failure is final. On CPython <= 3.11
# a thread that starts while another thread is inside `sys.settrace` can die in
# `Thread._bootstrap_inner` ("Cannot install a trace function while another trace function is
# being installed") before its target runs: a tracer's `threading.settrace` hook (coverage,
# a debugger) plus any audit hook is enough. That reader read nothing, so starting another is
# exact, not a retry; without it the exec's output would be silently empty.
_MAX_STARTS = 3


def close_stream(stream: Any) -> None:
    """Close a docker-py `CancellableStream` for good: its `close()` shuts the socket down
    (waking a reader blocked on it) but leaves the HTTP response holding the descriptor."""
    stream.close()
    response = getattr(stream, "_response", None)
    if response is not None:
        response.close()


class OutputPump:
    """Drains an exec's demultiplexed output stream, keeping at most `cap` bytes of each side."""

    def __init__(self, stream: Iterator[tuple[bytes | None, bytes | None]], cap: int) -> None:
        self._stream = stream
        self._cap = cap
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.truncated = False
        self._last = time.monotonic()
        self._reading = threading.Event()
        self.thread = self._start()

    def _start(self) -> threading.Thread:
        for _ in range(_MAX_STARTS):
            thread = threading.Thread(target=self._pump, daemon=True)
            thread.start()
            while not self._reading.wait(0.01):
                if not thread.is_alive():
                    break
            if self._reading.is_set():
                return thread
        raise SandboxFailure(f"the output reader thread died before it ran, {_MAX_STARTS} times")

    def drain(self, limit: float, quiet: float) -> None:
        """Wait for the stream to end, but at most `limit` seconds, and stop early once `quiet`
        seconds pass without output: a frozen process that holds the stream open writes
        nothing more, and what it wrote before the freeze is in flight for milliseconds."""
        start = time.monotonic()
        end = start + limit
        while self.thread.is_alive():
            now = time.monotonic()
            idle_since = max(self._last, start)
            if now >= end or now - idle_since >= quiet:
                return
            self.thread.join(min(end, idle_since + quiet) - now)

    def _pump(self) -> None:
        self._reading.set()
        try:
            for out, err in self._stream:
                self._last = time.monotonic()
                self._keep(self.stdout, out)
                self._keep(self.stderr, err)
        except Exception:  # the stream breaks when the container is killed
            return

    def _keep(self, buf: bytearray, chunk: bytes | None) -> None:
        if not chunk:
            return
        room = self._cap - len(buf)
        if len(chunk) > room:
            self.truncated = True
        if room > 0:
            buf.extend(chunk[:room])
