"""The content-addressed blob store: layout, atomicity, verification and digest hygiene."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from runner.blobs import (
    BlobCorrupted,
    BlobError,
    BlobNotFound,
    BlobStore,
    LocalBlobStore,
    digest_of,
    parse_digest,
)


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def test_put_returns_the_sha256_digest_and_get_returns_the_bytes(store: LocalBlobStore) -> None:
    digest = store.put(b"hello")
    assert digest == "sha256:" + hashlib.sha256(b"hello").hexdigest() == digest_of(b"hello")
    assert store.get(digest) == b"hello"
    assert store.exists(digest)


def test_layout_and_read_only_mode(store: LocalBlobStore) -> None:
    digest = store.put(b"content")
    hexdigest = digest.removeprefix("sha256:")
    path = store.root / "sha256" / hexdigest[:2] / hexdigest[2:]
    assert path.read_bytes() == b"content"
    assert stat.S_IMODE(path.stat().st_mode) == 0o400  # owner only (issue 15)
    assert [p.name for p in path.parent.iterdir()] == [hexdigest[2:]]  # no temp file left


def test_put_is_idempotent(store: LocalBlobStore) -> None:
    first = store.put(b"same")
    path = store.root / "sha256" / first[7:9] / first[9:]
    inode = path.stat().st_ino
    assert store.put(b"same") == first
    assert path.stat().st_ino == inode  # an intact blob is not rewritten


def test_empty_blob(store: LocalBlobStore) -> None:
    assert store.get(store.put(b"")) == b""


def test_unknown_digest_raises_blob_not_found(store: LocalBlobStore) -> None:
    missing = digest_of(b"never stored")
    assert not store.exists(missing)
    with pytest.raises(BlobNotFound, match="no blob"):
        store.get(missing)
    assert issubclass(BlobNotFound, LookupError)
    assert issubclass(BlobNotFound, BlobError)


def test_a_corrupted_blob_is_detected_and_repaired_by_put(store: LocalBlobStore) -> None:
    digest = store.put(b"original")
    path = store.root / "sha256" / digest[7:9] / digest[9:]
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    with pytest.raises(BlobCorrupted):
        store.get(digest)
    assert store.put(b"original") == digest
    assert store.get(digest) == b"original"


@pytest.mark.parametrize(
    "digest",
    [
        "",
        "sha256:",
        "sha256:../../../etc/passwd",
        "sha256:" + "A" * 64,  # upper case is not the canonical form
        "sha256:" + "a" * 63,
        "sha256:" + "a" * 65,
        "sha256:" + "a" * 64 + "\n",
        "md5:" + "a" * 32,
        "sha256:" + "a" * 62 + "/.",
        "/etc/passwd",
    ],
)
def test_malformed_digests_raise_value_error_before_any_path_is_built(
    store: LocalBlobStore, digest: str
) -> None:
    for call in (store.get, store.exists):
        with pytest.raises(ValueError, match="malformed blob digest"):
            call(digest)
    with pytest.raises(ValueError, match="malformed"):
        parse_digest(digest)


def test_a_failed_write_leaves_no_temp_file(
    store: LocalBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        store.put(b"data")
    leftovers = [p for p in store.root.rglob("*") if p.is_file()]
    assert leftovers == []


def test_local_store_satisfies_the_protocol(store: LocalBlobStore) -> None:
    protocol_typed: BlobStore = store
    assert protocol_typed.exists(protocol_typed.put(b"x"))
