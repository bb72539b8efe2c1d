"""Tar helpers for the workspace: build the archive put into a container, read the one copied out.

Reading is defensive: the archive comes back from a container that ran hostile code, so only
regular files are kept (links, devices and FIFOs are dropped, never followed) and sizes are capped
while streaming, before anything is buffered.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import PurePosixPath

__all__ = ["SANDBOX_GID", "SANDBOX_UID", "CappedReader", "read_regular_files", "workspace_tar"]

#: The unprivileged identity every sandboxed process runs as ("nobody").
SANDBOX_UID = 65534
SANDBOX_GID = 65534


def workspace_tar(files: Mapping[str, tuple[bytes, int]], writable_dirs: Iterable[str]) -> bytes:
    """A tar of `files` plus their parent directories and `writable_dirs`.

    Files whose mode lacks the owner-write bit, and every implied directory, are owned by root, so
    the sandbox user can read but not change them; writable dirs and writable files are the
    sandbox user's. setuid/setgid/sticky bits are never set.
    """
    buf = io.BytesIO()
    dirs: dict[str, bool] = {}
    for path in files:
        for parent in list(PurePosixPath(path).parents)[:-1]:
            dirs.setdefault(str(parent), False)
    for path in writable_dirs:
        for parent in list(PurePosixPath(path).parents)[:-1]:
            dirs.setdefault(str(parent), False)
        dirs[path] = True
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(dirs):
            info = tarfile.TarInfo(path)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            if dirs[path]:
                info.uid, info.gid = SANDBOX_UID, SANDBOX_GID
            tar.addfile(info)
        for path, (content, mode) in sorted(files.items()):
            info = tarfile.TarInfo(path)
            info.size = len(content)
            info.mode = mode & 0o777
            if mode & 0o200:
                info.uid, info.gid = SANDBOX_UID, SANDBOX_GID
            tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


class CappedReader(io.RawIOBase):
    """A file-like view of a chunk iterator that stops at `cap` bytes and says whether it did."""

    def __init__(self, chunks: Iterator[bytes], cap: int) -> None:
        self._chunks = chunks
        self._left = cap
        self._pending = b""
        self.exceeded = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        if self._left <= 0:
            self.exceeded = True
            return 0
        n = min(len(buffer), len(self._pending), self._left)
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        self._left -= n
        return n


def read_regular_files(
    stream: io.RawIOBase, prefix: str, budget: int
) -> tuple[dict[str, bytes], bool]:
    """Regular files of a tar stream, keyed `prefix/<name below the archive root>`.

    Returns the files and whether anything was dropped (a non-regular entry, a name that escapes,
    or the size budget running out).
    """
    files: dict[str, bytes] = {}
    dropped = False
    try:
        with tarfile.open(fileobj=io.BufferedReader(stream), mode="r|") as tar:
            for member in tar:
                name = _below_root(member.name)
                if name is None or not member.isreg():
                    dropped = dropped or not member.isdir()
                    continue
                if member.size > budget:
                    dropped = True
                    continue
                data = tar.extractfile(member)
                content = data.read() if data is not None else b""
                budget -= len(content)
                files[f"{prefix}/{name}" if name else prefix] = content
    except (tarfile.TarError, OSError, EOFError):
        dropped = True
    return files, dropped


def _below_root(name: str) -> str | None:
    """The entry's path below the archive's first component ("" for the root itself), or None
    when the name is absolute or climbs out."""
    parts = PurePosixPath(name).parts
    if not parts or parts[0] in ("/", "..") or ".." in parts:
        return None
    return "/".join(parts[1:])
