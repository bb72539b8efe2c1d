"""Hostile archives at intake: each one through the candidate upload route and `snapshot_bytes`.

The route is the real service (`tests/api`'s app over a real SQLite database and blob store; the
pipeline behind it is never reached). Every refusal is a precise 4xx whose `error` is the
intake's reason, and nothing is stored: no submission row, no run row, no blob.

| case                 | defence                        | expected outcome (asserted)             |
|----------------------|--------------------------------|-----------------------------------------|
| tar / zip `../` path | names checked before anything  | 400 path_traversal                      |
|                      | is read; archives never        |                                         |
|                      | extracted to disk              |                                         |
| tar / zip absolute   | same                           | 400 path_traversal                      |
| path                 |                                |                                         |
| tar symlink, zip     | links refused whatever their   | 400 link                                |
| symlink, tar         | target                         |                                         |
| hardlink, all to     |                                |                                         |
| outside              |                                |                                         |
| char/block device,   | only regular files and         | 400 special_file                        |
| FIFO (tar), FIFO     | directories                    |                                         |
| (zip)                |                                |                                         |
| setuid/setgid/sticky | mode bits reduced to the exec  | 202; the stored snapshot's modes are    |
| bits                 | bit                            | 0644/0755                               |
| zip bomb, gzip bomb  | bytes counted while            | 413 too_large                           |
|                      | decompressing, ratio bound     |                                         |
| too many files       | file count bound               | 413 too_many_files                      |
| deeply nested        | depth bound (32)               | 400 too_deep                            |
| directories          |                                |                                         |
| very long name (tar  | path length bound (255 bytes)  | 400 path_too_long                       |
| pax, zip)            |                                |                                         |
| non-UTF-8 name (tar, | names must be UTF-8            | 400 bad_name                            |
| zip)                 |                                |                                         |
| control character in | no control characters          | 400 bad_name                            |
| a name               |                                |                                         |
| truncated tar,       | end block demanded; parse      | 415 bad_archive                         |
| tar.gz, zip          | errors become bad_archive      |                                         |
"""

from __future__ import annotations

import functools
import io
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.services import Services
from runner.intake import IntakeError, Snapshot, snapshot_bytes
from tests.archives import make_zip, zip_info
from tests.fakeservice import stored

OK = b"def answer():\n    return 42\n"


def _tar(*members: tuple[str, bytes, bytes, dict[str, Any]], gz: bool = False) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(
        fileobj=buffer, mode="w:gz" if gz else "w", format=tarfile.PAX_FORMAT
    ) as archive:
        for name, kind, data, attrs in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            for key, value in attrs.items():
                setattr(info, key, value)
            archive.addfile(info, io.BytesIO(data) if info.size else None)
    return buffer.getvalue()


def _file(name: str, data: bytes = OK, **attrs: Any) -> tuple[str, bytes, bytes, dict[str, Any]]:
    return name, tarfile.REGTYPE, data, attrs


def _raw_name_tar(name: bytes) -> bytes:
    """A ustar member whose name bytes are not UTF-8 (tarfile will not write that itself)."""
    header = bytearray(_tar(_file("placeholder.py"))[:512])
    header[0:100] = name.ljust(100, b"\0")
    header[148:156] = b" " * 8
    header[148:156] = f"{sum(header):06o}\0 ".encode()
    body = _tar(_file("placeholder.py"))
    # The placeholder was written as pax (no extended header for an ASCII name): swap the header.
    return bytes(header) + body[512:]


def _raw_namemake_zip(name: bytes) -> bytes:
    data = make_zip(("X" * len(name), OK))
    return data.replace(b"X" * len(name), name)


@functools.cache
def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("bomb.txt", "w", force_zip64=True) as member,
    ):
        for _ in range(64):
            member.write(bytes(1 << 20))  # 64 MiB of zeros (over 50 MiB), ~64 KiB packed
    return buffer.getvalue()


@functools.cache
def _gzip_bomb() -> bytes:
    head = tarfile.TarInfo("bomb.txt")
    head.size = 64 << 20
    raw = zlib.compressobj(9, zlib.DEFLATED, 31)
    packed = raw.compress(head.tobuf(tarfile.PAX_FORMAT))
    zeros = bytes(1 << 20)
    for _ in range(64):
        packed += raw.compress(zeros)
    return packed + raw.flush()


def _nested(depth: int) -> str:
    return "/".join(f"d{i}" for i in range(depth)) + "/x.py"


CASES: dict[str, tuple[Callable[[], bytes], int, str]] = {
    "tar-dotdot": (lambda: _tar(_file("../escape.py")), 400, "path_traversal"),
    "tar-dotdot-deep": (lambda: _tar(_file("a/../../etc/cron.d/x")), 400, "path_traversal"),
    "zip-dotdot": (lambda: make_zip(("../escape.py", OK)), 400, "path_traversal"),
    "tar-absolute": (lambda: _tar(_file("/etc/passwd")), 400, "path_traversal"),
    "zip-absolute": (lambda: make_zip(("/tmp/evil.py", OK)), 400, "path_traversal"),
    "tar-symlink-out": (
        lambda: _tar(_file("ok.py"), ("link", tarfile.SYMTYPE, b"", {"linkname": "/etc/passwd"})),
        400,
        "link",
    ),
    "tar-symlink-dotdot": (
        lambda: _tar(("up", tarfile.SYMTYPE, b"", {"linkname": "../../../../root"})),
        400,
        "link",
    ),
    "tar-hardlink-out": (
        lambda: _tar(("hard", tarfile.LNKTYPE, b"", {"linkname": "/etc/shadow"})),
        400,
        "link",
    ),
    "zip-symlink": (
        lambda: make_zip((zip_info("link", stat.S_IFLNK | 0o777), b"/etc")),
        400,
        "link",
    ),
    "tar-char-device": (
        lambda: _tar(("mem", tarfile.CHRTYPE, b"", {"devmajor": 1, "devminor": 1})),
        400,
        "special_file",
    ),
    "tar-block-device": (
        lambda: _tar(("sda", tarfile.BLKTYPE, b"", {"devmajor": 8, "devminor": 0})),
        400,
        "special_file",
    ),
    "tar-fifo": (lambda: _tar(("pipe", tarfile.FIFOTYPE, b"", {})), 400, "special_file"),
    "zip-fifo": (
        lambda: make_zip((zip_info("pipe", stat.S_IFIFO | 0o644), b"")),
        400,
        "special_file",
    ),
    "zip-bomb": (_zip_bomb, 413, "too_large"),
    "gzip-bomb": (_gzip_bomb, 413, "too_large"),
    "too-many-files": (
        lambda: _tar(*(_file(f"f{i}.py", b"") for i in range(5001)), gz=True),
        413,
        "too_many_files",
    ),
    "deep-nesting": (lambda: _tar(_file(_nested(40))), 400, "too_deep"),
    "long-name-tar": (lambda: _tar(_file("n" * 300 + ".py")), 400, "path_too_long"),
    "long-name-zip": (lambda: make_zip(("n" * 300 + ".py", OK)), 400, "path_too_long"),
    "non-utf8-tar": (lambda: _raw_name_tar(b"caf\xe9\xff.py"), 400, "bad_name"),
    "non-utf8-zip": (lambda: _raw_namemake_zip(b"caf\xff\xfe.py"), 400, "bad_name"),
    "control-char-name": (lambda: _tar(_file("evil\n[ok] graded.py")), 400, "bad_name"),
    "truncated-tar": (lambda: _tar(_file("a.py", OK * 40))[:700], 415, "bad_archive"),
    "truncated-tar-gz": (lambda: _tar(_file("a.py", OK * 40), gz=True)[:60], 415, "bad_archive"),
    "truncated-zip": (lambda: make_zip(("a.py", OK * 40))[:-30], 415, "bad_archive"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_snapshot_bytes_refuses_precisely(case: str) -> None:
    build, _status, reason = CASES[case]
    with pytest.raises(IntakeError) as caught:
        snapshot_bytes(build(), case)
    assert caught.value.reason == reason


@pytest.mark.parametrize("case", sorted(CASES))
def test_upload_route_refuses_precisely_and_stores_nothing(
    case: str,
    client: TestClient,
    svc: Services,
    make_invite: Callable[..., str],
) -> None:
    build, status, reason = CASES[case]
    data = build()
    assert len(data) < 256 * 1024  # under the upload limit: the intake itself must refuse it
    response = client.post(
        f"/i/{make_invite()}/submissions", files={"archive": (f"{case}.bin", data)}
    )
    assert response.status_code == status, response.text
    assert response.json()["error"] == reason
    assert stored(svc) == (0, 0, 0)


def test_setuid_bits_are_stripped_and_the_upload_is_stored_clean(
    client: TestClient,
    svc: Services,
    make_invite: Callable[..., str],
) -> None:
    data = _tar(
        _file("solution.py", mode=0o4644, uid=0, gid=0),
        _file("bin/run.sh", b"#!/bin/sh\n", mode=0o7755, uid=0, gid=0),
    )
    snapshot = snapshot_bytes(data, "setuid.tar")
    assert snapshot.executable == {"bin/run.sh"}
    response = client.post(
        f"/i/{make_invite()}/submissions", files={"archive": ("setuid.tar", data)}
    )
    assert response.status_code == 202, response.text
    assert stored(svc) == (1, 1, 1)
    blob = next(p for p in (svc.settings.data_dir / "blobs").rglob("*") if p.is_file())
    kept = Snapshot.from_tar(blob.read_bytes())  # only a canonical tar reads back
    assert kept == snapshot
    with tarfile.open(fileobj=io.BytesIO(blob.read_bytes())) as archive:
        modes = {m.name: (m.mode, m.uid) for m in archive.getmembers() if m.isfile()}
    assert modes == {"bin/run.sh": (0o755, 0), "solution.py": (0o644, 0)}
