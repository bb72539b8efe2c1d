"""`OutputPump.drain`: stops at the end of the stream, or once a held-open stream goes quiet."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from sandbox._stream import OutputPump

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
