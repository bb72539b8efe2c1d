"""A zip's entry count is checked before `zipfile` indexes its central directory (issue 15, M2:
a 19.5 MB zip listing 390,000 entries cost 2 s of CPU and 180 MB per upload)."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from runner import _archive
from runner.intake import IntakeError, IntakeLimits, snapshot_bytes

_LIMITS = IntakeLimits(max_files=100)  # so the directory may list 400 entries


def _zip(entries: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for i in range(entries):
            archive.writestr(f"p/f{i}.py", b"")
    return buf.getvalue()


def _no_zipfile(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on `zipfile.ZipFile` must not even be opened (call it once the zip is built)."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("zipfile parsed an archive that should have been refused first")

    monkeypatch.setattr("runner._archive.zipfile.ZipFile", refuse)


def test_the_end_record_count_refuses_before_zipfile(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _zip(401)
    _no_zipfile(monkeypatch)
    with pytest.raises(IntakeError) as refused:
        snapshot_bytes(data, "many.zip", _LIMITS)
    assert refused.value.reason == "too_many_files"


def test_a_forged_end_record_count_is_caught_by_counting_headers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = bytearray(_zip(2000))
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 1, 1)  # "one entry", over 2000 headers
    _no_zipfile(monkeypatch)
    with pytest.raises(IntakeError) as refused:
        snapshot_bytes(bytes(data), "forged.zip", _LIMITS)
    assert refused.value.reason == "too_many_files"


def test_a_zip64_end_record_is_read_too(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _zip(0x10000)  # past 65535 entries: zipfile writes the zip64 end record
    assert b"PK\x06\x06" in data[-200:]
    _no_zipfile(monkeypatch)
    with pytest.raises(IntakeError) as refused:
        _archive.check_zip_index(data, 20_000)
    assert refused.value.reason == "too_many_files"


def test_a_zip_within_the_index_limit_is_read() -> None:
    snapshot = snapshot_bytes(_zip(50), "fine.zip", _LIMITS)
    assert len(snapshot.files) == 50
