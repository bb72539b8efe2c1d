"""Content-addressed blob store: source snapshots and other immutable bytes, keyed by sha256.

A digest is `"sha256:<64 lowercase hex>"`. A malformed digest is the caller's bug and raises a
plain `ValueError` before any path is built, so a digest string can never name a path outside
the store.

Exception tree::

    BlobError
    ├── BlobNotFound (also LookupError)   no blob has that digest
    └── BlobCorrupted                     the stored bytes no longer hash to their digest
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

__all__ = [
    "BlobCorrupted",
    "BlobError",
    "BlobNotFound",
    "BlobStore",
    "LocalBlobStore",
    "digest_of",
    "parse_digest",
]

_DIGEST = re.compile(r"sha256:([0-9a-f]{64})")


class BlobError(Exception):
    """Base of every blob store fault."""


class BlobNotFound(BlobError, LookupError):
    """No blob is stored under the digest."""


class BlobCorrupted(BlobError):
    """A stored blob's content does not match its digest."""


def digest_of(data: bytes) -> str:
    """The digest `put(data)` returns: `"sha256:<hex>"`."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def parse_digest(digest: str) -> str:
    """Return the hex part of a well-formed digest; anything else raises `ValueError`."""
    match = _DIGEST.fullmatch(digest) if isinstance(digest, str) else None
    if match is None:
        raise ValueError(f"malformed blob digest {digest!r} (want 'sha256:' + 64 lowercase hex)")
    return match.group(1)


class BlobStore(Protocol):
    """Immutable bytes addressed by their sha256. Implementations: `LocalBlobStore`."""

    def put(self, data: bytes) -> str:
        """Store `data` (idempotent) and return its digest."""
        ...

    def get(self, digest: str) -> bytes:
        """The bytes under `digest`, verified. Raises `BlobNotFound` or `BlobCorrupted`."""
        ...

    def exists(self, digest: str) -> bool:
        """Whether a blob is stored under `digest` (its content is not verified)."""
        ...


def _private_dir(path: Path) -> None:
    """`path` as a folder only its owner can read (0700), made if missing (its missing parents
    get the default mode: the data dir itself is made private by `runner.store.open_database`)."""
    if path.is_dir():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)


class LocalBlobStore:
    """Blobs as read-only files under `root/sha256/<2 hex>/<62 hex>`, written atomically.

    Snapshots are candidates' code: each blob is readable by its owner only (0400) and the
    folders are 0700, whatever the process's umask."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, digest: str) -> Path:
        hexdigest = parse_digest(digest)
        return self.root / "sha256" / hexdigest[:2] / hexdigest[2:]

    def put(self, data: bytes) -> str:
        """Store `data` and return its digest; a present, intact blob is left as it is."""
        digest = digest_of(data)
        path = self._path(digest)
        with contextlib.suppress(BlobError):
            self.get(digest)
            return digest
        _private_dir(self.root)
        _private_dir(path.parent.parent)
        _private_dir(path.parent)
        # Write beside the target and rename: readers see either no blob or the whole blob,
        # never a torn one, even if this process dies mid-write. A corrupted blob is replaced.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o400)  # mkstemp made it 0600; now read-only, owner only
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return digest

    def get(self, digest: str) -> bytes:
        """The verified bytes under `digest`."""
        path = self._path(digest)
        try:
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            raise BlobNotFound(f"no blob {digest}") from None
        if digest_of(data) != digest:
            raise BlobCorrupted(f"blob {digest} is corrupted (stored at {path})")
        return data

    def exists(self, digest: str) -> bool:
        """Whether a file is stored under `digest`."""
        return self._path(digest).is_file()
