"""The data dir is private under the default umask (issue 15): it holds password hashes, token
digests and candidates' code, and was world-readable (0755 dir, 0644 database, 0444 blobs)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.settings import Settings
from runner.store.records import create_reviewer
from runner.wiring import Wiring
from tests.fakeservice import fake_pipeline


@pytest.fixture
def default_umask() -> Iterator[None]:
    """The usual login umask (022), under which new files are world-readable."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_fresh_service_keeps_its_data_to_its_owner(tmp_path: Path, default_umask: None) -> None:
    data = tmp_path / "fresh" / "data"
    wiring = Wiring(Settings(data_dir=data, secret_key="x" * 32), fake_pipeline)
    try:
        create_reviewer(wiring.db, "rev@example.com", "correct horse battery")
        digest = wiring.blobs.put(b"a candidate's snapshot")
    finally:
        wiring.db.close()
    assert _mode(data) == 0o700
    database_files = sorted(data.glob("takehome.db*"))
    assert data / "takehome.db" in database_files
    for path in database_files:  # the database and, in WAL mode, its -wal and -shm files
        assert _mode(path) == 0o600, path
    blob = data / "blobs" / "sha256" / digest[7:9] / digest[9:]
    assert _mode(blob) == 0o400
    for folder in (data / "blobs", data / "blobs" / "sha256", blob.parent):
        assert _mode(folder) == 0o700, folder
    everything = [data, *data.rglob("*")]
    assert not [p for p in everything if _mode(p) & 0o077], "nothing readable by group or others"


def test_an_existing_world_readable_data_dir_is_tightened(
    tmp_path: Path, default_umask: None
) -> None:
    data = tmp_path / "old"
    data.mkdir(mode=0o755)
    (data / "takehome.db").touch(mode=0o644)
    wiring = Wiring(Settings(data_dir=data, secret_key="x" * 32), fake_pipeline)
    try:
        create_reviewer(wiring.db, "rev@example.com", "correct horse battery")
    finally:
        wiring.db.close()
    assert (_mode(data), _mode(data / "takehome.db")) == (0o700, 0o600)
