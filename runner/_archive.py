"""Bounded, in-memory readers for tar, tar.gz and zip uploads; private to `runner.intake`.

Nothing here touches a filesystem: archives are parsed from bytes and every member is read in
bounded chunks counted by a `Budget`, so a bomb stops at the limit instead of inflating. Headers
(sizes, counts, ratios) are never trusted: only bytes actually produced are counted.
"""

from __future__ import annotations

import gzip
import io
import re
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Literal

__all__ = [
    "SKIPPED_DIRS",
    "SKIPPED_SUFFIXES",
    "ZIP_INDEX_FACTOR",
    "Budget",
    "Entry",
    "IntakeError",
    "IntakeLimits",
    "IntakeReason",
    "check_zip_index",
    "gunzip",
    "is_skipped",
    "read_tar",
    "read_zip",
    "split_name",
]

MiB = 1024 * 1024
_CHUNK = 64 * 1024
#: Below this many output bytes the ratio is not checked: tiny archives of repetitive text
#: legitimately compress far better than a real repository does.
_RATIO_GRACE = 1 * MiB
#: Caches and tool state that are never part of a submission. Compiled bytecode is dropped too,
#: so a planted `.pyc` can never run in place of the reviewed source.
SKIPPED_DIRS = frozenset(
    {".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".venv"}
)
SKIPPED_SUFFIXES = (".pyc",)
# Everything the standard parsers raise on malformed input; our own IntakeError (a ValueError)
# is always re-raised before this tuple is consulted.
_PARSE_ERRORS = (
    tarfile.TarError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    struct.error,
    NotImplementedError,
    RuntimeError,
    OverflowError,
    LookupError,
)
_DRIVE = re.compile(r"[A-Za-z]:")

IntakeReason = Literal[
    "path_traversal",
    "link",
    "special_file",
    "too_large",
    "too_many_files",
    "path_too_long",
    "too_deep",
    "bad_archive",
    "bad_name",
    "empty",
    "duplicate",
]


class IntakeError(ValueError):
    """A submission was refused; `.reason` is a short machine code, `str()` is for people."""

    def __init__(self, reason: IntakeReason, message: str) -> None:
        super().__init__(message)
        self.reason: IntakeReason = reason


@dataclass(frozen=True)
class IntakeLimits:
    """Bounds on one submission. Sizes are bytes; `max_ratio` bounds output/compressed input."""

    max_bytes: int = 50 * MiB
    max_files: int = 5000
    max_path_length: int = 255
    max_depth: int = 32
    max_archive_bytes: int = 20 * MiB
    max_ratio: int = 200

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_files", "max_path_length", "max_depth"):
            if getattr(self, name) <= 0:
                raise ValueError(f"IntakeLimits.{name} must be positive")
        if self.max_archive_bytes <= 0 or self.max_ratio <= 0:
            raise ValueError("IntakeLimits.max_archive_bytes and max_ratio must be positive")


@dataclass(frozen=True)
class Entry:
    """One accepted member: normalised path components, and content for files."""

    parts: tuple[str, ...]
    is_dir: bool
    content: bytes = b""
    executable: bool = False


class Budget:
    """Counts entries and produced bytes against the limits, failing as soon as one is crossed."""

    def __init__(self, limits: IntakeLimits, packed_size: int | None = None) -> None:
        self.limits = limits
        self.total = 0
        self.files = 0
        self.entries = 0
        ratio_cap = None if packed_size is None else limits.max_ratio * packed_size
        self._ratio_cap = None if ratio_cap is None else max(ratio_cap, _RATIO_GRACE)

    def entry(self, name: str, *, is_file: bool) -> None:
        """Count one member; directories count towards a looser cap than files."""
        self.entries += 1
        self.files += is_file
        if self.files > self.limits.max_files or self.entries > 2 * self.limits.max_files:
            raise IntakeError(
                "too_many_files",
                f"more than {self.limits.max_files} files (stopped at {name!r})",
            )

    def take(self, size: int, name: str) -> None:
        """Count `size` more content bytes produced while reading `name`."""
        self.total += size
        if self.total > self.limits.max_bytes:
            raise IntakeError(
                "too_large",
                f"content exceeds {self.limits.max_bytes} bytes (stopped in {name!r})",
            )
        if self._ratio_cap is not None and self.total > self._ratio_cap:
            raise IntakeError(
                "too_large",
                f"archive expands more than {self.limits.max_ratio}x its compressed size "
                f"(a compression bomb?); stopped in {name!r}",
            )


# Checks of a raw member name, in order: (refused when true, reason, what is wrong).
_NAME_CHECKS: tuple[tuple[Callable[[str], bool], IntakeReason, str], ...] = (
    (lambda n: not _encodable(n), "bad_name", "is not valid UTF-8"),
    (lambda n: "\x00" in n, "bad_name", "contains a NUL byte"),
    (
        lambda n: any(ord(c) < 32 or ord(c) == 127 for c in n),
        "bad_name",
        "contains a control character",
    ),
    (lambda n: "\\" in n, "path_traversal", "contains a backslash"),
    (lambda n: n.startswith("/"), "path_traversal", "is an absolute path"),
)


def _encodable(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def split_name(name: str) -> tuple[str, ...]:
    """Validate a member name and return its normalised components (`.` and empty dropped)."""
    for refused, reason, problem in _NAME_CHECKS:
        if refused(name):
            raise IntakeError(reason, f"entry name {name!r} {problem}")
    parts = tuple(part for part in name.split("/") if part not in ("", "."))
    if ".." in parts:
        raise IntakeError("path_traversal", f"entry name {name!r} contains a '..' component")
    if parts and _DRIVE.match(parts[0]):
        raise IntakeError("path_traversal", f"entry name {name!r} starts with a drive letter")
    return parts


def is_skipped(parts: tuple[str, ...]) -> bool:
    """True for cache and tool-state paths that never enter a snapshot."""
    return any(part in SKIPPED_DIRS for part in parts) or (
        bool(parts) and parts[-1].endswith(SKIPPED_SUFFIXES)
    )


def read_bounded(stream: IO[bytes], budget: Budget, name: str) -> bytes:
    """Read a member stream to its end in bounded chunks, counting every byte."""
    chunks: list[bytes] = []
    while chunk := stream.read(_CHUNK):
        budget.take(len(chunk), name)
        chunks.append(chunk)
    return b"".join(chunks)


def gunzip(data: bytes, limits: IntakeLimits) -> bytes:
    """Decompress a gzip stream, stopping at the size or ratio bound (the tar framing included)."""
    # The decompressed tar also carries headers and padding: allow for them on top of max_bytes.
    cap = limits.max_bytes + 2048 * (2 * limits.max_files + 8)
    cap = min(cap, max(limits.max_ratio * len(data), _RATIO_GRACE))
    out = bytearray()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            while chunk := stream.read(_CHUNK):
                out += chunk
                if len(out) > cap:
                    raise IntakeError(
                        "too_large",
                        f"gzip stream expands past {cap} bytes (a compression bomb?)",
                    )
    except IntakeError:
        raise
    except _PARSE_ERRORS as exc:
        raise IntakeError("bad_archive", f"corrupt or truncated gzip data: {exc}") from None
    return bytes(out)


def read_tar(data: bytes, budget: Budget, *, skip: bool = True) -> list[Entry]:
    """Parse a plain tar held in memory into entries, refusing links and special files."""
    entries: list[Entry] = []
    try:
        with tarfile.open(
            fileobj=io.BytesIO(data), mode="r:", encoding="utf-8", errors="surrogateescape"
        ) as archive:
            while (member := archive.next()) is not None:
                entry = _tar_entry(archive, member, budget, skip=skip)
                if entry is not None:
                    entries.append(entry)
            end = archive.offset
    except IntakeError:
        raise
    except _PARSE_ERRORS as exc:
        raise IntakeError("bad_archive", f"corrupt or truncated tar archive: {exc}") from None
    # tarfile silently stops at a bad header after the first member: demand the zero end block.
    if data[end : end + 512] != bytes(512):
        raise IntakeError("bad_archive", f"tar archive is truncated or corrupt at byte {end}")
    return entries


def _tar_entry(
    archive: tarfile.TarFile, member: tarfile.TarInfo, budget: Budget, *, skip: bool
) -> Entry | None:
    parts = split_name(member.name)
    shown = repr(member.name)
    if skip and is_skipped(parts):
        return None
    budget.entry(member.name, is_file=member.isreg())
    if member.issym() or member.islnk():
        raise IntakeError("link", f"entry {shown} is a link (to {member.linkname!r})")
    if member.isdir():
        return Entry(parts, is_dir=True)
    if not member.isreg() or member.issparse():
        raise IntakeError("special_file", f"entry {shown} is not a regular file or directory")
    stream = archive.extractfile(member)
    if stream is None:  # pragma: no cover - isreg() members always have a stream
        raise IntakeError("bad_archive", f"entry {shown} has no data")
    content = read_bounded(stream, budget, member.name)
    if len(content) != member.size:
        raise IntakeError("bad_archive", f"entry {shown} is truncated")
    return Entry(parts, is_dir=False, content=content, executable=bool(member.mode & 0o111))


# The end-of-central-directory record, the zip64 locator and record, a central-directory header.
_EOCD = struct.Struct("<4s4H2LH")
_EOCD64_LOCATOR = struct.Struct("<4sLQL")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
#: A zip's directory may list this many times `max_files` entries (skipped `.git/` objects and
#: directories count here, not in the budget) before it is refused unparsed.
ZIP_INDEX_FACTOR = 4


def _eocd(data: bytes) -> tuple[int, int, int] | None:
    """(entry count, central-directory size, where the directory ends) from the end record."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - _EOCD.size - 0xFFFF))
    if end < 0 or end + _EOCD.size > len(data):
        return None
    _sig, _disk, _cd_disk, _here, count, size, offset, _comment = _EOCD.unpack_from(data, end)
    if count != 0xFFFF and 0xFFFFFFFF not in (size, offset):
        return count, size, end
    locator = end - _EOCD64_LOCATOR.size
    record = locator - _EOCD64.size  # where zipfile expects it: just before the locator
    if record < 0 or data[locator : locator + 4] != b"PK\x06\x07":
        return count, size, end
    if data[record : record + 4] != b"PK\x06\x06":
        return count, size, end
    fields = _EOCD64.unpack_from(data, record)
    return fields[7], fields[8], record


def check_zip_index(data: bytes, max_entries: int) -> None:
    """Refuse (`too_many_files`) a zip whose central directory lists more than `max_entries`
    entries, before `zipfile` builds its index of all of them: first the end record's count,
    then the headers themselves, counted (and skipped over) until one too many."""
    found = _eocd(data)
    if found is None:
        return  # not a zip zipfile can open either: it says why
    count, size, end = found
    refused = IntakeError("too_many_files", f"the zip lists more than {max_entries} entries")
    if count > max_entries:
        raise refused
    pos, seen = end - size, 0
    while pos >= 0 and pos + _CENTRAL.size <= end and data[pos : pos + 4] == b"PK\x01\x02":
        seen += 1
        if seen > max_entries:
            raise refused
        header = _CENTRAL.unpack_from(data, pos)
        pos += _CENTRAL.size + header[12] + header[13] + header[14]


def read_zip(data: bytes, budget: Budget) -> list[Entry]:
    """Parse a zip held in memory into entries (stored and deflated members only)."""
    check_zip_index(data, ZIP_INDEX_FACTOR * budget.limits.max_files)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [
                entry
                for info in archive.infolist()
                if (entry := _zip_entry(archive, info, budget)) is not None
            ]
    except UnicodeDecodeError:
        raise IntakeError("bad_name", "a zip entry flagged UTF-8 has an invalid name") from None
    except IntakeError:
        raise
    except _PARSE_ERRORS as exc:
        raise IntakeError("bad_archive", f"corrupt or truncated zip archive: {exc}") from None


def _zip_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x800:
        return info.orig_filename
    # Without the UTF-8 flag zipfile decoded cp437; undo that and insist on UTF-8 bytes.
    raw = info.orig_filename.encode("cp437")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise IntakeError("bad_name", f"zip entry {raw!r} has a name that is not UTF-8") from None


def _zip_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget) -> Entry | None:
    name = _zip_name(info)
    parts, shown = split_name(name), repr(name)
    if is_skipped(parts):
        return None
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    is_dir = name.endswith("/") or kind == stat.S_IFDIR
    budget.entry(name, is_file=not is_dir)
    if kind == stat.S_IFLNK:
        raise IntakeError("link", f"entry {shown} is a symbolic link")
    if is_dir:
        return Entry(parts, is_dir=True)
    if kind not in (0, stat.S_IFREG):
        raise IntakeError("special_file", f"entry {shown} is not a regular file or directory")
    if info.flag_bits & 0x1:
        raise IntakeError("bad_archive", f"entry {shown} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise IntakeError("bad_archive", f"entry {shown} uses an unsupported compression method")
    with archive.open(info) as stream:
        content = read_bounded(stream, budget, name)
    return Entry(parts, is_dir=False, content=content, executable=bool(mode & 0o111))
