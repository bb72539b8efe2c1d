"""The sandbox contract: what to run (`RunSpec`), under which `Limits`, and the `Execution`.

Exception tree (faults of the infrastructure, never of the candidate; a candidate's timeout or OOM
is a verdict flag on `Execution`, not an exception)::

    SandboxError
    ├── EngineUnavailable   the container engine cannot be reached
    ├── ImageMissing        the image a spec names is not present (run `takehome images build`)
    ├── SandboxFailure      the engine refused or broke while running a spec
    └── SandboxMisconfigured  the image settings cannot build a challenge's image (no retry helps)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "BACKGROUND_CPU_SHARES",
    "SCRATCH_DIR",
    "TIMED_CPU_SHARES",
    "WORKDIR",
    "EngineUnavailable",
    "Execution",
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
    "stops_group",
]

MiB = 1024 * 1024
#: `Limits.cpu_shares` of a step that measures time (a service-mode app and its probes): on a
#: contended host it gets four times a default container's share of the CPUs, so a load stage
#: measures the candidate's server rather than whatever else the host is grading.
TIMED_CPU_SHARES = 4096
#: `Limits.cpu_shares` of a step whose result does not depend on time (static analysis): it
#: yields the CPUs to the others when the host is contended, and runs as fast as ever when not.
BACKGROUND_CPU_SHARES = 256
#: Mount point of the per-run workspace volume inside every sandbox container.
WORKDIR = "/work"
#: The container's private, size-limited scratch tmpfs (also HOME): a path inside the sandbox,
#: never on the host.
SCRATCH_DIR = "/tmp"  # noqa: S108 - inside the container


class SandboxError(Exception):
    """Base of every sandbox infrastructure fault."""


class EngineUnavailable(SandboxError):
    """The container engine is not reachable."""


class ImageMissing(SandboxError):
    """The image named by a spec is not present locally."""


class SandboxFailure(SandboxError):
    """The engine refused or broke while running a spec."""


class SandboxMisconfigured(SandboxError):
    """This host's image settings cannot provide what a challenge needs (Debian packages with a
    configured registry base, no debootstrap to build a base): no retry helps until an operator
    changes the settings, so a worker fails the run at once, naming the setting."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one container. Memory is memory+swap: no swap is ever granted."""

    wall_seconds: float = 60.0
    memory_bytes: int = 512 * MiB
    cpus: float = 1.0
    cpu_shares: int = 1024
    """Relative CPU weight against the other containers when the host's CPUs are all busy
    (Docker's `--cpu-shares`, cgroup v2 `cpu.weight`); no effect on an idle host. 1024 is
    Docker's default; see `TIMED_CPU_SHARES` and `BACKGROUND_CPU_SHARES`."""
    pids: int = 128
    output_bytes: int = 1 * MiB
    """Cap on each of stdout and stderr; the rest is drained and counted, not kept."""
    tmpfs_bytes: int = 64 * MiB
    """Size of the scratch tmpfs at /tmp."""
    workspace_bytes: int = 256 * MiB
    """Size of the tmpfs-backed workspace volume at /work (bounds every disk write there)."""
    file_size_bytes: int = 64 * MiB
    """RLIMIT_FSIZE: no single file written may grow past this."""
    nofile: int = 256
    files_out_bytes: int = 16 * MiB
    """Cap on the total size of the files copied out after the run."""

    def __post_init__(self) -> None:
        # Every field bounds something; a zero tmpfs size would even mean "unlimited".
        for name in (
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
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"Limits.{name} must be positive")
        if not 2 <= self.cpu_shares <= 262_144:
            raise ValueError("Limits.cpu_shares must be from 2 to 262144 (Docker's range)")


@dataclass(frozen=True)
class RunSpec:
    """One command in one fresh container.

    `files_in` maps paths relative to the workspace (`/work`) to `(content, mode)`; the workspace
    is populated before the command starts. Files whose mode has no owner-write bit are root's
    and so are read-only to the unprivileged sandbox user; the others are owned by that user.
    `files_out` names workspace-relative paths (files or directories) to copy out after the run:
    only regular files come back, links and special files are dropped, never followed.
    """

    image: str
    argv: tuple[str, ...]
    run_id: str
    files_in: Mapping[str, tuple[bytes, int]] = field(default_factory=dict)
    files_out: tuple[str, ...] = ()
    writable_dirs: tuple[str, ...] = ("out",)
    """Workspace-relative directories owned by the sandbox user (everything else is root's)."""
    env: Mapping[str, str] = field(default_factory=dict)
    workdir: str = WORKDIR
    limits: Limits = field(default_factory=Limits)
    network: str | None = None
    """None: loopback only. Otherwise a `Service.network`: join that app's network namespace."""
    label: str = ""
    """Human-readable step name, kept as a container label for the reaper and for logs."""
    trusted: bool = False
    """The command runs no candidate code (a static analyser over read-only sources), so it may
    share one container with other trusted specs of the same run (`Sandbox.run_group`)."""
    gate: bool = False
    """In a group, the specs after this one run only if it succeeds (`Execution.ok`): a readiness
    check before the probes that share its container."""

    def __post_init__(self) -> None:
        if not self.argv or not all(isinstance(a, str) for a in self.argv):
            raise ValueError("RunSpec.argv must be a non-empty tuple of strings")
        for path in (*self.files_in, *self.files_out, *self.writable_dirs):
            _check_relative(path)


def _check_relative(path: str) -> None:
    parts = path.split("/")
    if path.startswith("/") or not path or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"workspace path must be relative and normalised: {path!r}")


@dataclass(frozen=True)
class Execution:
    """What one container run produced. Verdict flags are data about the candidate's run."""

    exit_code: int
    stdout: bytes
    stderr: bytes
    wall_seconds: float
    files_out: Mapping[str, bytes] = field(default_factory=dict)
    timed_out: bool = False
    oom_killed: bool = False
    output_truncated: bool = False
    files_truncated: bool = False
    """Some files were not copied out because of the size cap (or were not regular files)."""
    unfrozen: bool = False
    """Processes the command left behind kept the container from being frozen when it ended
    (a fork bomb's tree still forking): the container was killed and no file was kept."""
    image_id: str = ""

    @property
    def ok(self) -> bool:
        """Exited 0 and no limit was hit."""
        return self.exit_code == 0 and not (self.timed_out or self.oom_killed)


_CONTAINER_LIMITS = (
    "memory_bytes",
    "cpus",
    "cpu_shares",
    "pids",
    "tmpfs_bytes",
    "workspace_bytes",
    "file_size_bytes",
    "nofile",
)


def stops_group(spec: RunSpec, execution: Execution) -> bool:
    """Whether `execution` of `spec` ends its group: a gate that failed."""
    return spec.gate and not execution.ok


def run_in_order(specs: Sequence[RunSpec], run: Callable[[RunSpec], Execution]) -> list[Execution]:
    """`run` each spec in turn until a gate fails: `Sandbox.run_group`'s order, for sandboxes
    without containers to share."""
    merge_workspace(specs)
    done: list[Execution] = []
    for spec in specs:
        done.append(run(spec))
        if stops_group(spec, done[-1]):
            break
    return done


def merge_workspace(
    specs: Sequence[RunSpec],
) -> tuple[dict[str, tuple[bytes, int]], tuple[str, ...]]:
    """The one workspace a group of specs shares: their files and writable dirs, merged.

    A group of more than one spec must be all `trusted`, of one run, image and network, with the
    same container-level limits, and without two different files at one path (`ValueError`).
    """
    if not specs:
        raise ValueError("a group needs at least one spec")
    if len(specs) > 1:
        for spec in specs:
            _check_shareable(specs[0], spec)
    files: dict[str, tuple[bytes, int]] = {}
    for spec in specs:
        for path, entry in spec.files_in.items():
            if files.setdefault(path, entry) != entry:
                raise ValueError(f"two different files at {path!r} in one group")
    writable = tuple(dict.fromkeys(d for spec in specs for d in spec.writable_dirs))
    return files, writable


def _check_shareable(first: RunSpec, spec: RunSpec) -> None:
    if not spec.trusted:
        raise ValueError(f"only trusted specs may share a container: {spec.label!r}")
    same = (spec.image, spec.run_id, spec.network) == (first.image, first.run_id, first.network)
    if not same or any(
        getattr(spec.limits, n) != getattr(first.limits, n) for n in _CONTAINER_LIMITS
    ):
        raise ValueError(f"{spec.label!r} cannot share a container with {first.label!r}")


class Service(Protocol):
    """A long-running command started by `Sandbox.start_service` (service mode)."""

    @property
    def network(self) -> str:
        """What a probe's `RunSpec.network` must say to reach the app (on 127.0.0.1)."""
        ...

    def running(self) -> bool:
        """Whether the command is still running."""
        ...

    def stop(self) -> Execution:
        """Freeze and end the command; its capped output and files; remove its container."""
        ...


class Sandbox(Protocol):
    """Runs a `RunSpec` in isolation. Implementations: `DockerSandbox`, `FakeSandbox`."""

    def run(self, spec: RunSpec) -> Execution:
        """Run one spec to completion or to its deadline. Raises `SandboxError` on infra faults."""
        ...

    def run_group(self, specs: Sequence[RunSpec]) -> list[Execution]:
        """Run trusted specs one after another in one container (see `merge_workspace`), one
        `Execution` each, in order: the container set-up is paid once for the group. A `gate`
        spec that fails ends the group: the specs after it get no `Execution`."""
        ...

    def start_service(self, spec: RunSpec) -> Service:
        """Start `spec`'s command in its own container and return without waiting for it."""
        ...

    def image_id(self, image: str) -> str:
        """The immutable id (digest) of a local image, for provenance. Raises `ImageMissing`."""
        ...
