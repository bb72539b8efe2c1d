"""Bounded fuzzing for CI: archive intake, directory intake, manifest parsing, the HTTP API.

- zip structures (hypothesis): random members with hostile names, link/device/FIFO/directory
  modes, encryption and UTF-8 flags, exotic compression, byte damage and truncation. Outcome: a
  `Snapshot` or an `IntakeError` with a documented reason; nothing else, nothing written
  (an audit hook watches every open-for-write, mkdir, rename, link, chmod, ...), no hang (an
  alarm per example turns a hang into a failure; no time is ever asserted).
- directory trees (hypothesis): random trees with symlinks to a canary outside the tree, FIFOs
  and deep folders, read by `snapshot_path`: never a byte of the canary in a snapshot.
- manifests (hypothesis): random TOML documents shaped like `challenge.toml` (and random bytes):
  a `Manifest` or a `ManifestError` naming the file, and the field whenever one is at fault.
- the service (schemathesis): every operation of the OpenAPI schema, reviewer token attached,
  against the ASGI app of `tests/api`: no 5xx, and responses conform to the schema.

Tar members are fuzzed by `tests/runner/test_intake.py`. Example counts are printed by
`pytest --hypothesis-show-statistics`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
import typing
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import hypothesis.strategies as st
import pytest
import tomli_w
from hypothesis import HealthCheck, assume, event, given, settings

from runner._manifest import Manifest, ManifestError, parse_manifest
from runner.intake import IntakeError, IntakeLimits, IntakeReason, Snapshot, snapshot_bytes
from runner.intake import snapshot_path as snapshot_dir
from tests.writeguard import no_writes

# -- guards: no write, no hang ---------------------------------------------------------------

_HANG_SECONDS = 20


def _hang(_signum: int, _frame: FrameType | None) -> None:
    raise AssertionError(f"no answer within {_HANG_SECONDS} s: a hang")


@contextlib.contextmanager
def _guarded() -> Iterator[list[str]]:
    """Record every write attempted inside; fail the example if it does not end."""
    previous = signal.signal(signal.SIGALRM, _hang)
    signal.alarm(_HANG_SECONDS)
    try:
        with no_writes() as seen:
            yield seen
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_the_write_guard_sees_writes(tmp_path: Path) -> None:
    with _guarded() as writes:
        (tmp_path / "x").write_bytes(b"x")
        os.mkdir(tmp_path / "d")
    assert len(writes) == 2


# -- zip structures --------------------------------------------------------------------------

_PIECES = st.sampled_from(
    ["a", "b.py", "/", ".", "..", "\\", "C:", "\x00", "\n", "é", "x" * 70, "__pycache__", "d/"]
)
_MODES = st.sampled_from(
    [
        *(0, stat.S_IFREG | 0o644, stat.S_IFREG | 0o4755, stat.S_IFDIR | 0o755),
        *(stat.S_IFLNK | 0o777, stat.S_IFIFO | 0o644, stat.S_IFCHR | 0o600),
        *(stat.S_IFBLK | 0o600, stat.S_IFSOCK | 0o600, 0o170000),
    ]
)
_METHODS = st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2])
_MEMBER = st.tuples(
    st.one_of(
        st.sampled_from(["a.py", "pkg/b.py", "pkg/", "top/c.txt", "e"]),
        st.lists(_PIECES, min_size=1, max_size=5).map("".join),
    ),
    _MODES,
    st.sampled_from([0, 0x800, 0x1, 0x8]),
    _METHODS,
    st.one_of(st.binary(max_size=300), st.integers(1, 40).map(lambda k: bytes(k * 1024))),
)


def _zip_of(members: list[tuple[str, int, int, int, bytes]]) -> bytes:
    import io  # noqa: PLC0415

    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as archive:
        warnings.simplefilter("ignore")  # duplicate names are written on purpose
        for name, mode, flags, method, data in members:
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = mode << 16
            info.compress_type = method
            info.flag_bits |= flags & 0x800
            archive.writestr(info, data)
            if flags & 0x1:  # claim encryption after the fact
                archive.filelist[-1].flag_bits |= 0x1
    return buffer.getvalue()


_ZIP_LIMITS = IntakeLimits(max_bytes=20_000, max_files=5, max_path_length=64, max_depth=4)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    members=st.lists(_MEMBER, max_size=6),
    damage=st.none() | st.tuples(st.integers(0, 50_000), st.integers(0, 255)),
    truncate=st.none() | st.integers(0, 50_000),
)
def test_random_zips_give_a_snapshot_or_an_intake_error(
    members: list[tuple[str, int, int, int, bytes]],
    damage: tuple[int, int] | None,
    truncate: int | None,
) -> None:
    try:
        data = _zip_of(members)
    except (ValueError, UnicodeError, OverflowError, zipfile.BadZipFile):
        assume(False)  # zipfile refused to write it
    if damage is not None:
        at = damage[0] % len(data)
        data = data[:at] + bytes([damage[1]]) + data[at + 1 :]
    if truncate is not None:
        data = data[:truncate]
    snap: Snapshot | None = None
    with _guarded() as writes:
        try:
            snap = snapshot_bytes(data, "fuzz.zip", _ZIP_LIMITS)
        except IntakeError as exc:
            event(f"refused: {exc.reason}")
            assert exc.reason in typing.get_args(IntakeReason)  # noqa: PT017
    assert writes == []
    if snap is not None:
        event("accepted")
        assert Snapshot.from_tar(snap.to_tar()) == snap
        for path in snap.files:
            assert not path.startswith("/")
            assert ".." not in path.split("/")


# -- directory trees -------------------------------------------------------------------------

_NODE = st.tuples(
    st.lists(st.sampled_from(["a", "b", "c.py", "__pycache__", "d"]), min_size=1, max_size=4),
    st.sampled_from(["file", "dir", "link-out", "link-in", "link-dir", "fifo"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nodes=st.lists(_NODE, max_size=8))
def test_random_trees_never_follow_a_link_out(nodes: list[tuple[list[str], str]]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        outside = Path(scratch) / "outside.txt"
        outside.write_text("CANARY-OUTSIDE")
        root = Path(scratch) / "tree"
        root.mkdir()
        for parts, kind in nodes:
            path = root.joinpath(*parts)
            if os.path.lexists(path):
                continue  # never write into a FIFO made by an earlier node (it would block)
            with contextlib.suppress(OSError):
                path.parent.mkdir(parents=True, exist_ok=True)
                if kind == "file":
                    path.write_text("plain")
                elif kind == "dir":
                    path.mkdir()
                elif kind == "fifo":
                    os.mkfifo(path)
                else:
                    target = {"link-out": outside, "link-in": root, "link-dir": Path(scratch)}
                    path.symlink_to(target[kind])
        with _guarded() as writes:
            try:
                snap = snapshot_dir(root)
                event("accepted")
                assert all(b"CANARY" not in content for content in snap.files.values())
            except IntakeError as exc:
                event(f"refused: {exc.reason}")
        assert writes == []


# -- manifests ---------------------------------------------------------------------------------

_SCALARS = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["unit", "service", "calculator", "1.0.0", "tests/test_a.py::test_b"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)
_FIELDS = ["id", "title", "version", "framework", "mode", "summary", "time_estimate"]
_TABLES = ["limits", "weights", "feedback", "tests", "graders", "service", "dependencies"]
_TABLE_KEYS = ["wall_seconds", "memory_mb", "cpus", "pids", "tests", "coverage", "policy"]
_TABLE_KEYS += ["points", "expected", "command", "port", "health_path", "allowed", "isolation"]


@st.composite
def _documents(draw: st.DrawFn) -> dict[str, object]:
    doc: dict[str, object] = {
        "id": "fuzz-challenge",
        "title": "Fuzz",
        "version": "1.0.0",
        "framework": "python",
        "mode": "unit",
    }
    for name in draw(st.lists(st.sampled_from([*_FIELDS, "unknown"]), max_size=3)):
        doc[name] = draw(_VALUES)
    for table in draw(st.lists(st.sampled_from(_TABLES), max_size=3)):
        keys = draw(st.lists(st.sampled_from(_TABLE_KEYS), max_size=3))
        doc[table] = {key: draw(_VALUES) for key in keys}
    if draw(st.booleans()):
        doc.pop(draw(st.sampled_from(_FIELDS[:5])), None)
    return doc


def _to_toml(doc: dict[str, object]) -> bytes | None:
    try:
        return tomli_w.dumps(doc).encode()
    except (TypeError, ValueError):
        return None  # not representable in TOML (e.g. a NaN inside an array of mixed types)


_MANIFEST = Path("/challenges/fuzz/challenge.toml")


@pytest.mark.slow
@settings(max_examples=1000, deadline=None)
@given(
    doc=_documents(),
    mangle=st.none() | st.tuples(st.integers(0, 2000), st.binary(min_size=1, max_size=4)),
)
def test_random_manifests_give_a_manifest_or_a_precise_error(
    doc: dict[str, object], mangle: tuple[int, bytes] | None
) -> None:
    raw = _to_toml(doc)
    assume(raw is not None)
    assert raw is not None
    if mangle is not None:
        at = mangle[0] % (len(raw) + 1)
        raw = raw[:at] + mangle[1] + raw[at:]
    with _guarded():
        try:
            parse_manifest(_MANIFEST, raw, Manifest)
            event("valid")
        except ManifestError as exc:
            assert exc.path == _MANIFEST  # noqa: PT017
            assert str(exc).startswith(f"{_MANIFEST}: ")  # noqa: PT017
            if exc.message.startswith(("invalid TOML", "not valid UTF-8")):
                event("not TOML")
            else:
                # A validation error names the field at fault, or (a rule across fields) the
                # fields in its message.
                named = exc.field or any(f in exc.message for f in ("service", "weights"))
                assert named, str(exc)  # noqa: PT017
                event("invalid field")
