"""`OutputPump`: `drain` stops at the end of the stream, or once a held-open stream goes quiet;
a reader thread that died before it ran is started again."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest

from sandbox._stream import OutputPump
from sandbox.spec import SandboxFailure

_Chunk = tuple[bytes | None, bytes | None]


def _held_open(release: threading.Event) -> Iterator[_Chunk]:
    """What a frozen app's exec stream looks like: output, then nothing, never ending."""
    yield b"serving\n", None
    yield None, b"warning\n"
    release.wait()


def test_drain_returns_once_a_held_open_stream_is_quiet() -> None:
    release = threading.Event()
    pump = OutputPump(_held_open(release), cap=1024)
    try:
        # The limit is far off: drain can only return this early because the stream went quiet.
        pump.drain(limit=600.0, quiet=0.05)
        assert pump.thread.is_alive()
        assert bytes(pump.stdout) == b"serving\n"
        assert bytes(pump.stderr) == b"warning\n"
    finally:
        release.set()
        pump.thread.join(5)
    assert not pump.thread.is_alive()


def test_drain_waits_for_a_stream_that_ends() -> None:
    chunks: list[_Chunk] = [(b"x" * 10, None)] * 50
    pump = OutputPump(iter(chunks), cap=100)
    pump.drain(limit=600.0, quiet=600.0)
    assert not pump.thread.is_alive()
    assert len(pump.stdout) == 100
    assert pump.truncated


class _RacingSys:
    """`sys` as `threading` sees it while another thread is inside `sys.settrace` on CPython
    <= 3.11: a starting thread's `settrace` raises, so the thread ends before its target runs.
    The first `failures` starts fail; later ones install nothing (no tracer in this test)."""

    def __init__(self, failures: int) -> None:
        self.failures = failures

    def __getattr__(self, name: str) -> object:
        return getattr(sys, name)

    def settrace(self, _hook: object) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("Cannot install a trace function while another trace function ...")


def _race(monkeypatch: pytest.MonkeyPatch, failures: int) -> _RacingSys:
    racing = _RacingSys(failures)
    monkeypatch.setattr(threading, "_sys", racing)
    monkeypatch.setattr(threading, "_trace_hook", lambda *_: None)
    return racing


def test_a_reader_that_died_before_it_ran_is_started_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    racing = _race(monkeypatch, failures=2)
    pump = OutputPump(iter([(b"out", b"err")]), cap=100)
    pump.drain(limit=600.0, quiet=600.0)
    assert (bytes(pump.stdout), bytes(pump.stderr)) == (b"out", b"err")
    assert racing.failures == 0


def test_a_reader_that_never_runs_is_a_sandbox_failure_not_empty_output(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    racing = _race(monkeypatch, failures=99)
    with pytest.raises(SandboxFailure, match="died before it ran"):
        OutputPump(iter([(b"out", None)]), cap=100)
    assert racing.failures == 99 - 3
