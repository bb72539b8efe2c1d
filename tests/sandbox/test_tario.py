"""`_tario`: the workspace archive's ownership and modes, and the defensive reading of archives."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator

import pytest

from sandbox._tario import (
    SANDBOX_GID,
    SANDBOX_UID,
    CappedReader,
    read_regular_files,
    workspace_tar,
)


def _members(archive: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return {m.name: m for m in tar.getmembers()}


# -- workspace_tar -----------------------------------------------------------------------------


def test_workspace_tar_gives_read_only_files_to_root_and_writable_ones_to_the_sandbox_user() -> (
    None
):
    archive = workspace_tar(
        {
            "src/pkg/given.py": (b"GIVEN", 0o444),
            "src/pkg/notes.txt": (b"notes", 0o644),
            "run.sh": (b"#!/bin/sh\n", 0o6755),  # setuid+setgid asked for
            "sticky": (b"", 0o1777),
        },
        writable_dirs=("out", "build/cache"),
    )
    members = _members(archive)
    assert set(members) == {
        "src", "src/pkg", "src/pkg/given.py", "src/pkg/notes.txt", "run.sh", "sticky",
        "out", "build", "build/cache",
    }  # fmt: skip
    owner = {name: (m.uid, m.gid) for name, m in members.items()}
    root, sandbox = (0, 0), (SANDBOX_UID, SANDBOX_GID)
    assert owner == {
        "src": root, "src/pkg": root, "build": root,  # implied directories
        "out": sandbox, "build/cache": sandbox,  # writable directories
        "src/pkg/given.py": root,  # no owner-write bit
        "src/pkg/notes.txt": sandbox, "run.sh": sandbox, "sticky": sandbox,
    }  # fmt: skip
    assert (SANDBOX_UID, SANDBOX_GID) == (65534, 65534)
    modes = {name: m.mode for name, m in members.items()}
    assert modes["src/pkg/given.py"] == 0o444
    assert modes["src/pkg/notes.txt"] == 0o644
    assert modes["run.sh"] == 0o755
    assert modes["sticky"] == 0o777
    assert all(m.mode & 0o7000 == 0 for m in members.values())  # no setuid/setgid/sticky
    assert all(m.isdir() for n, m in members.items() if n in ("src", "src/pkg", "out", "build"))


def test_workspace_tar_carries_the_contents() -> None:
    archive = workspace_tar({"a/b.txt": (b"hello", 0o444)}, writable_dirs=())
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        member = tar.extractfile("a/b.txt")
        assert member is not None
        assert member.read() == b"hello"


def test_workspace_tar_round_trips_through_the_reader() -> None:
    archive = workspace_tar({"out/x": (b"1", 0o644), "out/y/z": (b"22", 0o444)}, ())
    files, dropped = read_regular_files(CappedReader(iter([archive]), len(archive)), "w", 1 << 20)
    assert files == {"w/x": b"1", "w/y/z": b"22"}
    assert not dropped


# -- read_regular_files ----------------------------------------------------------------------


def _tar(*entries: tuple[str, bytes, bytes]) -> bytes:
    """A tar of (name, type, content) entries, written like a hostile container could."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, kind, content in entries:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind == tarfile.REGTYPE:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
            else:
                info.linkname = content.decode()
                tar.addfile(info)
    return buf.getvalue()


def _read(
    archive: bytes, prefix: str = "out", budget: int = 1 << 20
) -> tuple[dict[str, bytes], bool]:
    return read_regular_files(CappedReader(iter([archive]), len(archive)), prefix, budget)


def test_only_regular_files_come_back() -> None:
    archive = _tar(
        ("out", tarfile.DIRTYPE, b""),
        ("out/ok.txt", tarfile.REGTYPE, b"ok"),
        ("out/passwd", tarfile.SYMTYPE, b"/etc/passwd"),
        ("out/hard", tarfile.LNKTYPE, b"out/ok.txt"),
        ("out/tty", tarfile.CHRTYPE, b""),
        ("out/disk", tarfile.BLKTYPE, b""),
        ("out/fifo", tarfile.FIFOTYPE, b""),
        ("out/sub", tarfile.DIRTYPE, b""),
        ("out/sub/deep.txt", tarfile.REGTYPE, b"deep"),
    )
    files, dropped = _read(archive)
    assert files == {"out/ok.txt": b"ok", "out/sub/deep.txt": b"deep"}
    assert dropped


@pytest.mark.parametrize("name", ["../escape", "out/../../escape", "/etc/cron.d/x", "out/a/../b"])
def test_names_that_climb_out_or_are_absolute_are_dropped(name: str) -> None:
    files, dropped = _read(
        _tar((name, tarfile.REGTYPE, b"bad"), ("out/ok", tarfile.REGTYPE, b"ok"))
    )
    assert files == {"out/ok": b"ok"}
    assert dropped


def test_directories_alone_drop_nothing() -> None:
    files, dropped = _read(_tar(("out", tarfile.DIRTYPE, b""), ("out/a", tarfile.REGTYPE, b"a")))
    assert files == {"out/a": b"a"}
    assert not dropped


def test_an_archive_of_one_file_is_keyed_by_the_prefix() -> None:
    files, dropped = _read(_tar(("result.json", tarfile.REGTYPE, b"{}")), prefix="out/result.json")
    assert files == {"out/result.json": b"{}"}
    assert not dropped


def test_the_budget_drops_what_does_not_fit_and_keeps_what_does() -> None:
    archive = _tar(
        ("out/a", tarfile.REGTYPE, b"a" * 100),
        ("out/b", tarfile.REGTYPE, b"b" * 100),  # 200 > 150: dropped
        ("out/c", tarfile.REGTYPE, b"c" * 50),  # fits in what is left
    )
    files, dropped = _read(archive, budget=150)
    assert files == {"out/a": b"a" * 100, "out/c": b"c" * 50}
    assert dropped


def test_a_file_bigger_than_the_budget_is_dropped_whole() -> None:
    files, dropped = _read(_tar(("out/big", tarfile.REGTYPE, b"x" * 5000)), budget=4999)
    assert files == {}
    assert dropped


def test_a_truncated_or_garbage_stream_is_dropped_not_raised() -> None:
    archive = _tar(("out/a", tarfile.REGTYPE, b"a" * 4000))
    files, dropped = read_regular_files(CappedReader(iter([archive]), 1500), "out", 1 << 20)
    assert files == {}
    assert dropped
    files, dropped = read_regular_files(CappedReader(iter([b"\x01" * 700]), 1 << 20), "out", 10)
    assert (files, dropped) == ({}, True)


def test_a_stream_cut_by_the_reader_keeps_the_files_read_before_the_cut() -> None:
    archive = _tar(("out/a", tarfile.REGTYPE, b"a" * 10), ("out/b", tarfile.REGTYPE, b"b" * 4000))
    reader = CappedReader(iter([archive[i : i + 100] for i in range(0, len(archive), 100)]), 2000)
    files, dropped = read_regular_files(reader, "out", 1 << 20)
    assert files == {"out/a": b"a" * 10}
    assert dropped
    assert reader.exceeded


# -- CappedReader ------------------------------------------------------------------------------


def test_capped_reader_stops_at_the_cap_and_says_so() -> None:
    reader = CappedReader(iter([b"abc", b"def", b"ghi"]), 5)
    assert reader.read() == b"abcde"
    assert reader.exceeded
    assert reader.read() == b""


def test_capped_reader_passes_a_stream_within_the_cap() -> None:
    reader = CappedReader(iter([b"abc", b"", b"def", b"ghi"]), 9)
    assert reader.read() == b"abcdefghi"
    assert not reader.exceeded


def test_capped_reader_reads_in_small_pieces() -> None:
    reader = CappedReader(iter([b"abcdef"]), 4)
    assert [reader.read(3), reader.read(3), reader.read(3)] == [b"abc", b"d", b""]
    assert reader.exceeded
    assert reader.readable()


def test_capped_reader_does_not_consume_past_the_cap() -> None:
    consumed: list[bytes] = []

    def chunks() -> Iterator[bytes]:
        for chunk in (b"1" * 10, b"2" * 10, b"3" * 10, b"4" * 10):
            consumed.append(chunk)
            yield chunk

    reader = CappedReader(chunks(), 15)
    assert reader.read() == b"1" * 10 + b"2" * 5
    assert len(consumed) == 2  # it stopped pulling from the engine at the cap
