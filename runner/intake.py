"""Safe intake of a submission: a directory or an archive becomes an immutable `Snapshot`.

Hostile input meets this module first. Archives are parsed in memory (never extracted to disk),
every byte is counted while it is decompressed, and only regular files and directories with
plain relative names get through. A snapshot's canonical tar (`Snapshot.to_tar`) is what the blob
store keeps and what every later phase unpacks.

Accepted inputs, detected by content (gzip and zip magic; anything else is tried as tar): a
directory, `.tar`, `.tar.gz`/`.tgz`, `.zip`. When every entry sits under one top-level directory
(GitHub's `repo-main/` archives) that directory is stripped.

Never part of a snapshot, from a directory or an archive alike (`SKIPPED_DIRS`, at any depth, and
`SKIPPED_SUFFIXES`): `.git`, `__pycache__`, `.pytest_cache`, `.mypy_cache`, `.ruff_cache`, `.venv`
and `*.pyc` files. Dropping bytecode means no planted `.pyc` runs instead of the reviewed source.

Exception tree (one class; `.reason` says which rule refused the input)::

    IntakeError (ValueError)
        reason: path_traversal   absolute path, '..' component, backslash or drive letter
                link             symbolic or hard link, whatever its target
                special_file     device, FIFO, socket, sparse or unknown member type
                too_large        archive, total content or compression ratio over the limit
                too_many_files   more files than `max_files`
                path_too_long    a relative path longer than `max_path_length` UTF-8 bytes
                too_deep         more than `max_depth` path components
                bad_archive      not a tar/tar.gz/zip, corrupt, truncated, encrypted, ...
                bad_name         name not UTF-8, with NUL or control characters, or empty
                empty            no files at all
                duplicate        the same path twice, or a path that is both file and directory

Messages name the offending entry with `repr()`, so control characters cannot forge log lines.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from runner._archive import (
    SKIPPED_DIRS,
    SKIPPED_SUFFIXES,
    Budget,
    Entry,
    IntakeError,
    IntakeLimits,
    IntakeReason,
    gunzip,
    is_skipped,
    read_tar,
    read_zip,
    split_name,
)

__all__ = [
    "SKIPPED_DIRS",
    "SKIPPED_SUFFIXES",
    "IntakeError",
    "IntakeLimits",
    "IntakeReason",
    "Snapshot",
    "snapshot_bytes",
    "snapshot_path",
]

_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class Snapshot:
    """An immutable source tree: regular files only, with their exec bits.

    Constructing one validates every path (relative, normalised, no file that is also a
    directory) and computes `digest`, the sha256 of exactly `to_tar()`. Snapshots compare equal
    when their digests are equal.
    """

    files: Mapping[str, bytes] = field(compare=False, repr=False)
    executable: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        files = dict(sorted(self.files.items()))
        executable = frozenset(self.executable)
        for path in files:
            if not path or "/".join(split_name(path)) != path:
                raise IntakeError("bad_name", f"snapshot path {path!r} is not normalised")
        if not executable <= files.keys():
            raise ValueError("Snapshot.executable names paths that are not files")
        if clash := sorted(_implied_dirs(files) & files.keys()):
            raise IntakeError("duplicate", f"{clash[0]!r} is both a file and a directory")
        object.__setattr__(self, "files", MappingProxyType(files))
        object.__setattr__(self, "executable", executable)
        object.__setattr__(self, "digest", "sha256:" + hashlib.sha256(self.to_tar()).hexdigest())

    def to_tar(self) -> bytes:
        """The canonical tar: sorted, owner 0, mtime 0, modes 0o644/0o755, implied directories."""
        members = [(tuple(d.split("/")), True) for d in _implied_dirs(self.files)]
        members += [(tuple(f.split("/")), False) for f in self.files]
        buffer = io.BytesIO()
        with tarfile.open(
            fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT, encoding="utf-8"
        ) as archive:
            for parts, is_dir in sorted(members):
                path = "/".join(parts)
                info = tarfile.TarInfo(path)
                info.uid = info.gid = info.mtime = 0
                info.uname = info.gname = ""
                if is_dir:
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    archive.addfile(info)
                    continue
                content = self.files[path]
                info.size = len(content)
                info.mode = 0o755 if path in self.executable else 0o644
                archive.addfile(info, io.BytesIO(content))
        return buffer.getvalue()

    @classmethod
    def from_tar(cls, data: bytes, limits: IntakeLimits | None = None) -> Snapshot:
        """Read back a canonical tar made by `to_tar`; anything else raises `IntakeError`."""
        limits = limits or IntakeLimits()
        snapshot = _assemble(
            read_tar(data, Budget(limits), skip=False), limits, strip=False, require_files=False
        )
        if snapshot.to_tar() != data:
            raise IntakeError("bad_archive", "not a canonical snapshot tar")
        return snapshot


def _implied_dirs(files: Mapping[str, bytes]) -> set[str]:
    dirs: set[str] = set()
    for path in files:
        parts = path.split("/")
        dirs.update("/".join(parts[:depth]) for depth in range(1, len(parts)))
    return dirs


def snapshot_bytes(data: bytes, filename: str, limits: IntakeLimits | None = None) -> Snapshot:
    """Snapshot an uploaded tar, tar.gz or zip held in memory. `filename` is used in messages."""
    limits = limits or IntakeLimits()
    if not data:
        raise IntakeError("empty", f"{filename!r} is an empty upload")
    if len(data) > limits.max_archive_bytes:
        raise IntakeError(
            "too_large", f"{filename!r} is larger than {limits.max_archive_bytes} bytes"
        )
    if data[:2] == b"\x1f\x8b":
        tar = gunzip(data, limits)
        entries = read_tar(tar, Budget(limits, packed_size=len(data)))
    elif data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        entries = read_zip(data, Budget(limits, packed_size=len(data)))
    else:
        entries = read_tar(data, Budget(limits))
    return _assemble(entries, limits, strip=True)


def snapshot_path(path: Path, limits: IntakeLimits | None = None) -> Snapshot:
    """Snapshot a directory (walked without following symlinks) or an archive file.

    `path` itself may be a symlink (the operator chose it); nothing below it is followed.
    A missing `path` raises `FileNotFoundError`: that is the operator's mistake, not the input's.
    """
    limits = limits or IntakeLimits()
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            budget = Budget(limits)
            entries: list[Entry] = []
            _walk(fd, (), budget, entries)
            return _assemble(entries, limits, strip=False)
        if not stat.S_ISREG(mode):
            raise IntakeError("special_file", f"{str(path)!r} is not a file or directory")
        data = _read_fd(fd, limits.max_archive_bytes + 1)
    finally:
        os.close(fd)
    return snapshot_bytes(data, path.name, limits)


def _read_fd(fd: int, limit: int, budget: Budget | None = None, name: str = "") -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit and (chunk := os.read(fd, min(64 * 1024, limit - size))):
        size += len(chunk)
        if budget is not None:
            budget.take(len(chunk), name)
        chunks.append(chunk)
    return b"".join(chunks)


def _walk(dir_fd: int, prefix: tuple[str, ...], budget: Budget, out: list[Entry]) -> None:
    # Every step goes through a directory descriptor opened with O_NOFOLLOW, so a symlink
    # swapped in during the walk is refused rather than followed.
    with os.scandir(dir_fd) as scan:
        items = sorted(scan, key=lambda item: item.name)
    for item in items:
        parts = (*prefix, item.name)
        if is_skipped(parts):
            continue
        is_dir = _admit(item, parts, budget)
        fd = os.open(item.name, _READ_FLAGS | (os.O_DIRECTORY if is_dir else 0), dir_fd=dir_fd)
        try:
            _visit(fd, parts, is_dir=is_dir, budget=budget, out=out)
        finally:
            os.close(fd)


def _admit(item: os.DirEntry[str], parts: tuple[str, ...], budget: Budget) -> bool:
    """Check one directory entry before opening it; True when it is a directory."""
    name = "/".join(parts)
    if split_name(name) != parts:
        raise IntakeError("bad_name", f"entry name {name!r} is not a plain file name")
    if item.is_symlink():
        raise IntakeError("link", f"entry {name!r} is a symbolic link")
    is_dir = item.is_dir(follow_symlinks=False)
    if not is_dir and not item.is_file(follow_symlinks=False):
        raise IntakeError("special_file", f"entry {name!r} is not a regular file")
    budget.entry(name, is_file=not is_dir)
    if len(parts) > budget.limits.max_depth:
        raise IntakeError("too_deep", f"entry {name!r} is nested too deeply")
    return is_dir


def _visit(
    fd: int, parts: tuple[str, ...], *, is_dir: bool, budget: Budget, out: list[Entry]
) -> None:
    """Descend into an opened directory or read an opened file; the type is checked on the
    descriptor itself, so a swap between the check and the open is caught."""
    name = "/".join(parts)
    mode = os.fstat(fd).st_mode
    if is_dir and stat.S_ISDIR(mode):
        _walk(fd, parts, budget, out)
    elif stat.S_ISREG(mode):
        content = _read_fd(fd, budget.limits.max_bytes + 1, budget, name)
        out.append(Entry(parts, is_dir=False, content=content, executable=bool(mode & 0o111)))
    else:
        raise IntakeError("special_file", f"entry {name!r} is not a regular file")


def _assemble(
    entries: list[Entry], limits: IntakeLimits, *, strip: bool, require_files: bool = True
) -> Snapshot:
    files = _index_files(entries)
    if not files and require_files:
        raise IntakeError("empty", "the submission holds no files")
    dirs = {entry.parts for entry in entries if entry.is_dir and entry.parts}
    if clash := sorted(dirs & files.keys()):
        raise IntakeError("duplicate", f"{'/'.join(clash[0])!r} is both a file and a directory")
    if strip:
        files = _strip_single_top(files, dirs)
    for parts in files:
        _check_shape(parts, limits)
    return _snapshot({"/".join(parts): entry for parts, entry in files.items()})


def _snapshot(named: dict[str, Entry]) -> Snapshot:
    return Snapshot(
        files={path: entry.content for path, entry in named.items()},
        executable=frozenset(path for path, entry in named.items() if entry.executable),
    )


def _index_files(entries: list[Entry]) -> dict[tuple[str, ...], Entry]:
    """File entries by path; an empty name or a path given twice is refused."""
    files: dict[tuple[str, ...], Entry] = {}
    for entry in (e for e in entries if not e.is_dir):
        if not entry.parts:
            raise IntakeError("bad_name", "a file entry has an empty name")
        if entry.parts in files:
            raise IntakeError("duplicate", f"entry {'/'.join(entry.parts)!r} appears twice")
        files[entry.parts] = entry
    return files


def _strip_single_top(
    files: dict[tuple[str, ...], Entry], dirs: set[tuple[str, ...]]
) -> dict[tuple[str, ...], Entry]:
    """Drop the one top-level folder every entry shares ("repo-main/" in a GitHub zip)."""
    tops = {parts[0] for parts in files} | {parts[0] for parts in dirs}
    if len(tops) != 1 or any(len(parts) < 2 for parts in files):
        return files
    return {parts[1:]: entry for parts, entry in files.items()}


def _check_shape(parts: tuple[str, ...], limits: IntakeLimits) -> None:
    path = "/".join(parts)
    if len(parts) > limits.max_depth:
        raise IntakeError("too_deep", f"{path!r} is nested deeper than {limits.max_depth}")
    if len(path.encode("utf-8")) > limits.max_path_length:
        raise IntakeError(
            "path_too_long", f"{path!r} is longer than {limits.max_path_length} bytes"
        )
