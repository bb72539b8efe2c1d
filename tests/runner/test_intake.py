"""Intake of hostile archives and directories: every refusal is checked by its `.reason`."""

from __future__ import annotations

import functools
import io
import os
import socket
import stat
import struct
import tarfile
import time
import typing
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from runner.intake import (
    IntakeError,
    IntakeLimits,
    IntakeReason,
    Snapshot,
    snapshot_bytes,
    snapshot_path,
)
from tests.archives import make_zip, zip_info
from tests.writeguard import no_writes

MiB = 1024 * 1024
GiB = 1024 * MiB
Member = tuple[tarfile.TarInfo, bytes]


def member(
    name: str,
    data: bytes = b"",
    *,
    kind: bytes = tarfile.REGTYPE,
    mode: int = 0o644,
    **attrs: object,
) -> Member:
    info = tarfile.TarInfo(name)
    info.type, info.mode = kind, mode
    info.size = len(data) if kind in (tarfile.REGTYPE, tarfile.AREGTYPE) else 0
    for key, value in attrs.items():
        setattr(info, key, value)
    return info, data


def make_tar(*members: Member, fmt: int = tarfile.PAX_FORMAT, gz: bool = False) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(
        fileobj=buffer, mode="w:gz" if gz else "w", format=fmt, errors="surrogateescape"
    ) as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if info.size else None)
    return buffer.getvalue()


def raw_zip(
    name: bytes, payload: bytes, size: int, crc: int, *, method: int = 8, flags: int = 0
) -> bytes:
    """A one-entry zip written byte by byte, for what `zipfile` refuses to write."""
    local = struct.pack(
        "<4s5H3L2H",
        b"PK\x03\x04",
        20,
        flags,
        method,
        0,
        0x21,
        crc,
        len(payload),
        size,
        len(name),
        0,
    )
    central = struct.pack(
        "<4s6H3L5H2L", b"PK\x01\x02", 0x031E, 20, flags, method, 0, 0x21, crc, len(payload), size,
        len(name), 0, 0, 0, 0, 0o100644 << 16, 0,
    )  # fmt: skip
    body = local + name + payload
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(name), len(body), 0
    )
    return body + central + name + end


def reason_of(call: Callable[[], object]) -> str:
    with pytest.raises(IntakeError) as caught:
        call()
    return caught.value.reason


def intake(data: bytes, **limits: int) -> Snapshot:
    return snapshot_bytes(data, "upload", IntakeLimits(**limits))


# --- what a well-behaved archive becomes ------------------------------------------------------


def test_tar_gz_and_zip_give_the_same_snapshot() -> None:
    tar = make_tar(member("pkg/a.py", b"A", mode=0o755), member("README.md", b"R"), gz=True)
    zipped = make_zip((zip_info("pkg/a.py", 0o100755), b"A"), ("README.md", b"R"))
    one, two = intake(tar), intake(zipped)
    assert dict(one.files) == {"README.md": b"R", "pkg/a.py": b"A"}
    assert one.executable == {"pkg/a.py"}
    assert one == two
    assert one.digest == two.digest


def test_detection_is_by_content_not_extension() -> None:
    zipped = make_zip(("a.py", b"x"))
    assert dict(snapshot_bytes(zipped, "innocent.tar.gz").files) == {"a.py": b"x"}


def test_digest_is_deterministic_across_order_mtime_owner_and_format() -> None:
    first = make_tar(
        member("b.py", b"B", mtime=1_700_000_000, uid=1000, uname="alice"),
        member("a/c.py", b"C", mode=0o600),
        fmt=tarfile.GNU_FORMAT,
    )
    second = make_tar(
        member("./a/", kind=tarfile.DIRTYPE, mode=0o700),
        member("./a/c.py", b"C", mtime=5, gid=42, gname="staff"),
        member("./b.py", b"B", mode=0o664),
        gz=True,
    )
    assert intake(first).digest == intake(second).digest


def test_canonical_tar_is_normalised_and_round_trips() -> None:
    snap = intake(
        make_tar(member("d/e/f.py", b"x", mode=0o4755), member("g.txt", b"y", mode=0o2666))
    )
    with tarfile.open(fileobj=io.BytesIO(snap.to_tar())) as archive:
        members = archive.getmembers()
    assert [(m.name, m.type, m.mode) for m in members] == [
        ("d", tarfile.DIRTYPE, 0o755),
        ("d/e", tarfile.DIRTYPE, 0o755),
        ("d/e/f.py", tarfile.REGTYPE, 0o755),
        ("g.txt", tarfile.REGTYPE, 0o644),
    ]
    assert all((m.uid, m.gid, m.uname, m.gname, m.mtime) == (0, 0, "", "", 0) for m in members)
    assert Snapshot.from_tar(snap.to_tar()) == snap
    assert snap.digest.startswith("sha256:")


def test_setuid_setgid_and_sticky_bits_are_stripped_not_rejected() -> None:
    snap = intake(
        make_tar(
            member("suid", b"#!", mode=0o4755),
            member("sgid", b"x", mode=0o2644),
            member("dir/", kind=tarfile.DIRTYPE, mode=0o1777),
            member("dir/f", b"x", mode=0o6777),
        )
    )
    with tarfile.open(fileobj=io.BytesIO(snap.to_tar())) as archive:
        modes = {m.name: m.mode for m in archive.getmembers()}
    assert modes == {"dir": 0o755, "dir/f": 0o755, "sgid": 0o644, "suid": 0o755}


def test_from_tar_refuses_a_tar_that_is_not_canonical() -> None:
    assert (
        reason_of(lambda: Snapshot.from_tar(make_tar(member("a", b"x", mtime=7)))) == "bad_archive"
    )


def test_snapshot_constructor_validates_paths() -> None:
    assert reason_of(lambda: Snapshot(files={"../x": b""})) == "path_traversal"
    assert reason_of(lambda: Snapshot(files={"a//b": b""})) == "bad_name"
    assert reason_of(lambda: Snapshot(files={"a": b"", "a/b": b""})) == "duplicate"
    with pytest.raises(ValueError, match="executable"):
        Snapshot(files={"a": b""}, executable=frozenset({"b"}))


def test_a_single_top_level_directory_is_stripped() -> None:
    zipped = make_zip(
        ("repo-main/", b""), ("repo-main/src/x.py", b"1"), ("repo-main/README", b"2")
    )
    assert set(intake(zipped).files) == {"src/x.py", "README"}


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["top/a.py", "b.py"], {"top/a.py", "b.py"}),  # a top-level file: nothing stripped
        (["one/a.py", "two/b.py"], {"one/a.py", "two/b.py"}),
    ],
)
def test_no_strip_without_a_single_top_level_directory(
    names: list[str], expected: set[str]
) -> None:
    assert set(intake(make_tar(*(member(n, b"x") for n in names))).files) == expected


def test_skipped_caches_never_enter_a_snapshot() -> None:
    tar = make_tar(
        member("a.py", b"x"),
        member("a.pyc", b"\x00"),
        member("__pycache__/a.cpython-311.pyc", b"\x00"),
        member(".git/config", b"[core]"),
        member(".venv/bin/python", kind=tarfile.SYMTYPE, linkname="/usr/bin/python3"),
    )
    assert set(intake(tar).files) == {"a.py"}


# --- refusals: archives -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.py", "path_traversal"),
        ("a/../../evil.py", "path_traversal"),
        ("/etc/cron.d/evil", "path_traversal"),
        ("..\\..\\evil.py", "path_traversal"),
        ("C:/Windows/evil.py", "path_traversal"),
        ("c:evil.py", "path_traversal"),
        ("evil\n[INFO] all tests passed.py", "bad_name"),
        ("\x1b[2Jevil.py", "bad_name"),
        ("\udcff\udcfe.py", "bad_name"),  # raw bytes 0xff 0xfe: not UTF-8
        ("x" * 300, "path_too_long"),
        ("a/" * 40 + "deep.py", "too_deep"),
    ],
)
def test_bad_names_in_a_tar(name: str, reason: str) -> None:
    tar = make_tar(member(name, b"x"), fmt=tarfile.GNU_FORMAT)
    with pytest.raises(IntakeError) as caught:
        intake(tar)
    assert caught.value.reason == reason
    assert "\n" not in str(caught.value)  # repr() keeps control characters out of log lines


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (member("link", kind=tarfile.SYMTYPE, linkname="/etc/passwd"), "link"),
        (member("up", kind=tarfile.SYMTYPE, linkname="../../../../root/.ssh"), "link"),
        (member("hard", kind=tarfile.LNKTYPE, linkname="../../etc/shadow"), "link"),
        (member("dev", kind=tarfile.CHRTYPE, devmajor=1, devminor=3), "special_file"),
        (member("disk", kind=tarfile.BLKTYPE, devmajor=8, devminor=0), "special_file"),
        (member("fifo", kind=tarfile.FIFOTYPE), "special_file"),
        (member("odd", kind=b"Z"), "special_file"),
    ],
)
def test_links_and_special_files_in_a_tar(entry: Member, reason: str) -> None:
    assert reason_of(lambda: intake(make_tar(member("ok.py", b"x"), entry))) == reason


def test_a_hardlink_to_a_file_inside_is_still_refused() -> None:
    tar = make_tar(member("a.py", b"x"), member("b.py", kind=tarfile.LNKTYPE, linkname="a.py"))
    assert reason_of(lambda: intake(tar)) == "link"


@pytest.mark.parametrize(
    ("entries", "reason"),
    [
        ([(zip_info("link", stat.S_IFLNK | 0o777), b"/etc/passwd")], "link"),
        ([(zip_info("dev", stat.S_IFCHR | 0o666), b"")], "special_file"),
        ([("../../evil.py", b"x")], "path_traversal"),
        ([("/abs.py", b"x")], "path_traversal"),
        ([("a\\..\\..\\evil.py", b"x")], "path_traversal"),
        ([("D:/evil.py", b"x")], "path_traversal"),
        ([("a.py", b"1"), ("a.py", b"2")], "duplicate"),
        ([("a.py", b"1"), ("./a.py", b"2")], "duplicate"),
        ([("a", b"1"), ("a/b", b"2")], "duplicate"),
        ([("x/", b""), ("x/a/", b"")], "empty"),
    ],
)
def test_zip_refusals(entries: list[tuple[str | zipfile.ZipInfo, bytes]], reason: str) -> None:
    assert reason_of(lambda: intake(make_zip(*entries))) == reason


def test_a_tar_path_that_is_both_file_and_directory() -> None:
    tar = make_tar(member("a", b"1"), member("a/", kind=tarfile.DIRTYPE))
    assert reason_of(lambda: intake(tar)) == "duplicate"


def test_duplicate_tar_members() -> None:
    assert (
        reason_of(lambda: intake(make_tar(member("a.py", b"1"), member("a.py", b"2"))))
        == "duplicate"
    )


def test_non_utf8_zip_names() -> None:
    plain = make_zip(("AAAA.py", b"x")).replace(b"AAAA", b"\xff\xfe\xfd\xfc")
    assert reason_of(lambda: intake(plain)) == "bad_name"
    flagged = make_zip(("é.py", b"x")).replace("é".encode(), b"\xff\xfe")
    assert reason_of(lambda: intake(flagged)) == "bad_name"
    with_nul = make_zip(("evil.py.txt", b"x")).replace(b"evil.py.txt", b"evil.py\x00txt")
    assert reason_of(lambda: intake(with_nul)) == "bad_name"


def test_encrypted_and_exotic_zip_entries_are_refused() -> None:
    payload = b"secret"
    encrypted = raw_zip(b"a.py", payload, len(payload), zlib.crc32(payload), method=0, flags=1)
    assert reason_of(lambda: intake(encrypted)) == "bad_archive"
    exotic = raw_zip(b"a.py", payload, len(payload), zlib.crc32(payload), method=12)  # bzip2
    assert reason_of(lambda: intake(exotic)) == "bad_archive"


@pytest.mark.parametrize(
    "data",
    [
        make_tar(),
        make_tar(member("d/", kind=tarfile.DIRTYPE)),
        make_zip(),
        b"",
    ],
)
def test_empty_archives(data: bytes) -> None:
    assert reason_of(lambda: intake(data)) == "empty"


@pytest.mark.parametrize(
    "data",
    [
        make_tar(member("a.py", b"x" * 5000))[:2000],  # cut inside the content
        make_tar(member("a.py", b"x" * 600), member("b.py", b"y"))[:1100],  # cut inside a header
        make_tar(member("a.py", b"x"))[:1024],  # no end-of-archive blocks
        make_tar(member("a.py", b"x" * 5000), gz=True)[:-12],
        make_zip(("a.py", b"x" * 5000))[:-30],
        make_zip(("a.py", b"x" * 5000))[:40] + make_zip(("a.py", b"x" * 5000))[60:],
        b"this is not an archive at all",
        b"\x1f\x8b garbage after the gzip magic",
        b"PK\x03\x04 garbage after the zip magic",
    ],
)
def test_truncated_or_corrupt_archives(data: bytes) -> None:
    assert reason_of(lambda: intake(data)) == "bad_archive"


def test_file_count_total_size_and_archive_size_limits() -> None:
    four = make_tar(*(member(f"f{i}", b"x") for i in range(4)))
    assert reason_of(lambda: intake(four, max_files=3)) == "too_many_files"
    big = make_tar(member("a", b"x" * 600), member("b", b"y" * 600))
    assert reason_of(lambda: intake(big, max_bytes=1000)) == "too_large"
    assert reason_of(lambda: intake(big, max_archive_bytes=100)) == "too_large"
    deep = make_tar(member("a/b/c", b"x"), member("d", b"y"))
    assert reason_of(lambda: intake(deep, max_depth=2)) == "too_deep"


# --- bombs --------------------------------------------------------------------------------------


@functools.cache
def _zero_block() -> bytes:
    """Raw deflate of 1 MiB of zeros, ending in a full flush so that copies can be chained."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(bytes(MiB)) + compressor.flush(zlib.Z_FULL_FLUSH)


def _deflate_zeros(size: int, head: bytes = b"", tail: bytes = b"") -> bytes:
    """Raw deflate of head + `size` zeros + tail, built without ever holding the zeros."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    return start + _zero_block() * (size // MiB) + compressor.compress(tail) + compressor.flush()


def _crc_zeros(size: int, crc: int = 0) -> int:
    zeros = bytes(MiB)
    for _ in range(size // MiB):
        crc = zlib.crc32(zeros, crc)
    return crc


def test_zip_bomb_stops_at_max_bytes_without_inflating_it_all() -> None:
    small = raw_zip(b"bomb.bin", _deflate_zeros(2 * MiB), 2 * MiB, _crc_zeros(2 * MiB))
    sound = intake(small, max_ratio=5000)  # the builder makes valid archives
    assert dict(sound.files) == {"bomb.bin": bytes(2 * MiB)}
    bomb = raw_zip(b"bomb.bin", _deflate_zeros(GiB), GiB, _crc_zeros(GiB))
    assert len(bomb) < 2 * MiB
    started = time.monotonic()
    assert reason_of(lambda: intake(bomb)) == "too_large"
    assert time.monotonic() - started < 5


def _gzipped_tar_of_zeros(size: int) -> bytes:
    """A valid .tar.gz holding one file of `size` zeros (a multiple of 1 MiB)."""
    header = member("bomb.bin", size=size)[0].tobuf(tarfile.USTAR_FORMAT)
    tail = bytes(10240 - 512)  # the end-of-archive blocks and record padding
    crc = zlib.crc32(tail, _crc_zeros(size, zlib.crc32(header)))
    trailer = struct.pack("<2L", crc, (len(header) + size + len(tail)) % 2**32)
    gzip_header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return gzip_header + _deflate_zeros(size, header, tail) + trailer


def test_gzip_bomb_stops_at_the_limit() -> None:
    sound = intake(_gzipped_tar_of_zeros(2 * MiB), max_ratio=5000)
    assert dict(sound.files) == {"bomb.bin": bytes(2 * MiB)}
    bomb = _gzipped_tar_of_zeros(GiB)
    assert len(bomb) < 2 * MiB
    assert reason_of(lambda: intake(bomb)) == "too_large"


def test_compression_ratio_is_bounded_even_under_max_bytes() -> None:
    bomb = raw_zip(b"zeros.bin", _deflate_zeros(16 * MiB), 16 * MiB, _crc_zeros(16 * MiB))
    with pytest.raises(IntakeError, match="compression bomb") as caught:
        intake(bomb, max_bytes=64 * MiB, max_ratio=200)
    assert caught.value.reason == "too_large"
    assert set(intake(bomb, max_bytes=64 * MiB, max_ratio=2000).files) == {"zeros.bin"}


def test_a_header_lying_about_the_size_never_yields_more_than_it_claims() -> None:
    payload = _deflate_zeros(4 * MiB)
    liar = raw_zip(b"small.txt", payload, 10, _crc_zeros(4 * MiB))  # claims 10 bytes
    assert reason_of(lambda: intake(liar)) == "bad_archive"  # 10 bytes read, then the CRC fails


# --- directories ------------------------------------------------------------------------------


def _tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def test_directory_snapshot_matches_the_archive_of_the_same_tree(tmp_path: Path) -> None:
    root = _tree(tmp_path / "src", {"a.py": b"A", "pkg/b.py": b"B", "run.sh": b"#!/bin/sh\n"})
    (root / "run.sh").chmod(0o4755)
    _tree(root, {".git/HEAD": b"ref", "pkg/__pycache__/b.pyc": b"\0", "c.pyc": b"\0"})
    (root / ".venv").mkdir()
    (root / ".venv" / "python").symlink_to("/usr/bin/python3")
    snap = snapshot_path(root)
    assert set(snap.files) == {"a.py", "pkg/b.py", "run.sh"}
    assert snap.executable == {"run.sh"}
    tar = make_tar(
        member("a.py", b"A"),
        member("pkg/b.py", b"B"),
        member("run.sh", b"#!/bin/sh\n", mode=0o755),
    )
    assert snap == intake(tar)


def test_directory_with_a_symlink_inside_is_refused(tmp_path: Path) -> None:
    root = _tree(tmp_path / "src", {"a.py": b"x"})
    (root / "secrets").symlink_to("/etc")
    assert reason_of(lambda: snapshot_path(root)) == "link"


def test_directory_with_a_fifo_or_socket_is_refused(tmp_path: Path) -> None:
    root = _tree(tmp_path / "src", {"a.py": b"x"})
    os.mkfifo(root / "pipe")
    assert reason_of(lambda: snapshot_path(root)) == "special_file"
    (root / "pipe").unlink()
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(root / "sock"))
        assert reason_of(lambda: snapshot_path(root)) == "special_file"


def test_directory_limits(tmp_path: Path) -> None:
    deep = _tree(tmp_path / "deep", {"/".join(["d"] * 40) + "/f.py": b"x"})
    assert reason_of(lambda: snapshot_path(deep)) == "too_deep"
    empty = tmp_path / "empty"
    (empty / "only" / "dirs").mkdir(parents=True)
    assert reason_of(lambda: snapshot_path(empty)) == "empty"
    many = _tree(tmp_path / "many", {f"f{i}": b"x" for i in range(5)})
    assert reason_of(lambda: snapshot_path(many, IntakeLimits(max_files=4))) == "too_many_files"
    assert reason_of(lambda: snapshot_path(many, IntakeLimits(max_bytes=3))) == "too_large"


def test_directory_names_that_are_not_utf8_or_hold_backslashes(tmp_path: Path) -> None:
    root = _tree(tmp_path / "src", {"a.py": b"x"})
    (root / "a\\..\\b.py").write_bytes(b"x")
    assert reason_of(lambda: snapshot_path(root)) == "path_traversal"
    (root / "a\\..\\b.py").unlink()
    with open(os.path.join(os.fsencode(root), b"\xff.py"), "wb") as handle:
        handle.write(b"x")
    assert reason_of(lambda: snapshot_path(root)) == "bad_name"


def test_snapshot_path_reads_archives_and_refuses_special_files(tmp_path: Path) -> None:
    archive = tmp_path / "upload.bin"
    archive.write_bytes(make_tar(member("x/a.py", b"x"), gz=True))
    assert set(snapshot_path(archive).files) == {"a.py"}
    os.mkfifo(tmp_path / "pipe")
    assert reason_of(lambda: snapshot_path(tmp_path / "pipe")) == "special_file"
    with pytest.raises(FileNotFoundError):
        snapshot_path(tmp_path / "missing")


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_files"):
        IntakeLimits(max_files=0)
    with pytest.raises(ValueError, match="max_ratio"):
        IntakeLimits(max_ratio=0)


# --- property: hostile members give a Snapshot or an IntakeError, and never touch the disk -----

_NAME_PIECES = st.sampled_from(
    ["a", "b.py", "/", ".", "..", "\\", "C:", "\x00", "\n", "é", "\udcff", "x" * 60, "__pycache__"]
)
_KINDS = st.sampled_from(
    [
        tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE,
        tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE, tarfile.CONTTYPE,
        tarfile.GNUTYPE_SPARSE, tarfile.XHDTYPE, tarfile.GNUTYPE_LONGNAME, b"Z",
    ]
)  # fmt: skip
_CLEAN_NAMES = st.sampled_from(["a.py", "pkg/b.py", "pkg/", "top/c.txt", "./d", "top/", "e"])
_MEMBERS = st.lists(
    st.tuples(
        st.one_of(_CLEAN_NAMES, st.lists(_NAME_PIECES, min_size=1, max_size=6).map("".join)),
        st.one_of(st.just(tarfile.REGTYPE), _KINDS),
        st.integers(0, 0o7777),
        st.binary(max_size=700),
        st.lists(_NAME_PIECES, max_size=3).map("".join),
    ),
    max_size=6,
)


def _build(members: list[tuple[str, bytes, int, bytes, str]], fmt: int, gz: bool) -> bytes:
    tarred = []
    for name, kind, mode, data, link in members:
        info, _ = member(name, data, kind=kind, mode=mode, linkname=link)
        info.size = len(data)
        tarred.append((info, data))
    return make_tar(*tarred, fmt=fmt, gz=gz)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    members=_MEMBERS,
    fmt=st.sampled_from([tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT]),
    wrapper=st.sampled_from(["tar", "gz", "zip"]),
    damage=st.none() | st.none() | st.tuples(st.integers(0, 20_000), st.integers(0, 255)),
    truncate=st.none() | st.none() | st.integers(0, 20_000),
)
def test_random_members_give_a_snapshot_or_an_intake_error(
    members: list[tuple[str, bytes, int, bytes, str]],
    fmt: int,
    wrapper: str,
    damage: tuple[int, int] | None,
    truncate: int | None,
) -> None:
    try:
        if wrapper == "zip":
            data = make_zip(
                *((zip_info(name, mode), content) for name, _, mode, content, _ in members)
            )
        else:
            data = _build(members, fmt, gz=wrapper == "gz")
    except (ValueError, tarfile.TarError, UnicodeError, OverflowError):
        assume(False)  # the standard library refused to write it: nothing to feed the intake
    if damage is not None and data:
        position, value = damage
        data = data[: position % len(data)] + bytes([value]) + data[position % len(data) + 1 :]
    if truncate is not None:
        data = data[:truncate]
    limits = IntakeLimits(max_bytes=2000, max_files=4, max_path_length=64, max_depth=4)
    with no_writes() as writes:
        try:
            snap: Snapshot | None = snapshot_bytes(data, "fuzz", limits)
        except IntakeError as exc:
            reason, snap = exc.reason, None
            event(reason)
            assert reason in typing.get_args(IntakeReason)
    assert writes == []
    if snap is not None:
        event("snapshot")
        assert Snapshot.from_tar(snap.to_tar()) == snap
        assert all(".." not in path.split("/") and not path.startswith("/") for path in snap.files)


def test_the_write_guard_is_not_vacuous(tmp_path: Path) -> None:
    with no_writes() as writes:
        (tmp_path / "written").write_bytes(b"x")
        os.mkdir(tmp_path / "made")
    assert len(writes) == 2
