"""Isolated execution of untrusted code: the `Sandbox` protocol, Docker implementation, images."""

from sandbox.fake import FakeSandbox
from sandbox.spec import (
    BACKGROUND_CPU_SHARES,
    SCRATCH_DIR,
    TIMED_CPU_SHARES,
    WORKDIR,
    EngineUnavailable,
    Execution,
    ImageMissing,
    Limits,
    RunSpec,
    Sandbox,
    SandboxError,
    SandboxFailure,
    SandboxMisconfigured,
    Service,
    merge_workspace,
    run_in_order,
)

__all__ = [
    "BACKGROUND_CPU_SHARES",
    "SCRATCH_DIR",
    "TIMED_CPU_SHARES",
    "WORKDIR",
    "EngineUnavailable",
    "Execution",
    "FakeSandbox",
    "ImageMissing",
    "Limits",
    "RunSpec",
    "Sandbox",
    "SandboxError",
    "SandboxFailure",
    "SandboxMisconfigured",
    "Service",
    "merge_workspace",
    "run_in_order",
]
