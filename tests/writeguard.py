"""A guard that records every filesystem write attempted inside it (through an audit hook).

Intake reads archives and folders in memory: the property tests and fuzzers prove it never
writes a file, whatever the input, with `no_writes()`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Iterator

__all__ = ["no_writes"]

_WRITES: list[str] | None = None
_WRITE_EVENTS = frozenset(
    {"os.mkdir", "os.rename", "os.remove", "os.rmdir", "os.symlink", "os.link", "os.chmod"}
    | {"os.chown", "os.truncate", "os.utime", "shutil.copyfile", "tempfile.mkstemp"}
    | {"tempfile.mkdtemp", "os.mkfifo", "os.mknod"}
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _WRITES is None:
        return
    if event == "open":
        mode, flags = args[1], args[2]
        writing = isinstance(mode, str) and any(c in mode for c in "wax+")
        if writing or (isinstance(flags, int) and flags & _WRITE_FLAGS):
            _WRITES.append(f"open {args[0]!r}")
    elif event in _WRITE_EVENTS:
        _WRITES.append(f"{event} {args!r}")


@functools.cache
def _install_audit_hook() -> None:
    sys.addaudithook(_audit)  # hooks cannot be removed; this one is inert outside `no_writes`


@contextlib.contextmanager
def no_writes() -> Iterator[list[str]]:
    """The writes attempted inside the block, as "event argument" strings."""
    global _WRITES  # noqa: PLW0603 - the audit hook can only see module state
    _install_audit_hook()
    seen: list[str] = []
    _WRITES = seen
    try:
        yield seen
    finally:
        _WRITES = None
