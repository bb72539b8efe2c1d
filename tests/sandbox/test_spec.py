"""The sandbox contract: `Limits` and `RunSpec` validation, `Execution.ok`, the exception tree."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from sandbox.spec import (
    WORKDIR,
    EngineUnavailable,
    Execution,
    ImageMissing,
    Limits,
    RunSpec,
    SandboxError,
    SandboxFailure,
    SandboxMisconfigured,
)


def _spec(**kw: object) -> RunSpec:
    return RunSpec(**{"image": "img", "argv": ("true",), "run_id": "r", **kw})  # type: ignore[arg-type]


# -- Limits ----------------------------------------------------------------------------------

# All of them: a zero tmpfs size would even mean "unlimited" to the kernel.
VALIDATED = (
    "wall_seconds",
    "memory_bytes",
    "cpus",
    "pids",
    "output_bytes",
    "tmpfs_bytes",
    "workspace_bytes",
    "file_size_bytes",
    "nofile",
    "files_out_bytes",
)


def test_default_limits_are_valid_and_frozen() -> None:
    limits = Limits()
    assert limits.memory_bytes == 512 * 1024 * 1024
    with pytest.raises(dataclasses.FrozenInstanceError):
        limits.pids = 1  # type: ignore[misc]


@pytest.mark.parametrize("name", VALIDATED)
@pytest.mark.parametrize("value", [0, -1])
def test_non_positive_limits_are_rejected(name: str, value: int) -> None:
    with pytest.raises(ValueError, match=f"Limits.{name} must be positive"):
        Limits(**{name: value})


def test_small_positive_limits_are_accepted() -> None:
    limits = Limits(wall_seconds=0.1, cpus=0.5, pids=1, output_bytes=1, memory_bytes=1)
    assert limits.cpus == 0.5


# -- RunSpec ---------------------------------------------------------------------------------


def test_a_minimal_spec_has_safe_defaults() -> None:
    spec = _spec()
    assert spec.network is None
    assert spec.workdir == WORKDIR == "/work"
    assert spec.writable_dirs == ("out",)
    assert spec.files_in == {}
    assert spec.files_out == ()
    assert spec.env == {}


@pytest.mark.parametrize("argv", [(), ("python", 3), (None,)])
def test_argv_must_be_a_non_empty_tuple_of_strings(argv: tuple[object, ...]) -> None:
    with pytest.raises(ValueError, match="argv"):
        _spec(argv=argv)


BAD_PATHS = ["/etc/passwd", "../up", "a/../../b", "a/..", "./a", "a/./b", "a//b", "a/", ""]


@pytest.mark.parametrize("path", BAD_PATHS)
@pytest.mark.parametrize("where", ["files_in", "files_out", "writable_dirs"])
def test_workspace_paths_must_be_relative_and_normalised(where: str, path: str) -> None:
    value: object = {path: (b"", 0o644)} if where == "files_in" else (path,)
    with pytest.raises(ValueError, match="relative and normalised"):
        _spec(**{where: value})


def test_good_workspace_paths_are_accepted() -> None:
    spec = _spec(
        files_in={"src/pkg/mod.py": (b"", 0o444), "a..b": (b"", 0o644), ".hidden": (b"", 0o644)},
        files_out=("out", "out/report.json"),
        writable_dirs=("out", "build/cache"),
    )
    assert "a..b" in spec.files_in


# -- Execution and errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "ok"),
    [
        ({}, True),
        ({"exit_code": 1}, False),
        ({"timed_out": True}, False),
        ({"oom_killed": True}, False),
        ({"output_truncated": True}, True),  # a verdict detail, not a failure
        ({"files_truncated": True}, True),
    ],
)
def test_execution_ok_means_exit_zero_and_no_limit_hit(changes: dict[str, Any], ok: bool) -> None:
    base = {"exit_code": 0, "stdout": b"", "stderr": b"", "wall_seconds": 0.0}
    assert Execution(**{**base, **changes}).ok is ok


@pytest.mark.parametrize(
    "error", [EngineUnavailable, ImageMissing, SandboxFailure, SandboxMisconfigured]
)
def test_every_infrastructure_fault_is_a_sandbox_error(error: type[Exception]) -> None:
    assert issubclass(error, SandboxError)
    assert not issubclass(SandboxError, (ValueError, RuntimeError))


@pytest.mark.parametrize("shares", [0, 1, 262_145])
def test_cpu_shares_outside_dockers_range_are_refused(shares: int) -> None:
    with pytest.raises(ValueError, match="cpu_shares must be from 2 to 262144"):
        Limits(cpu_shares=shares)


def test_cpu_shares_at_dockers_bounds_are_accepted() -> None:
    assert Limits(cpu_shares=2).cpu_shares == 2
    assert Limits(cpu_shares=262_144).cpu_shares == 262_144
