"""`DockerSandbox`: runs a `RunSpec` in a fresh, hardened container through the Docker SDK.

How one run goes, and why (what the container is, and the primitives, are in `sandbox._engine`):

1. A workspace volume on tmpfs and a hardened container are created; the container starts, which
   mounts the volume, and the input files are copied in (`Engine.open`).
2. The command runs as an exec in that container, with stdout/stderr streamed and capped on the
   host (the rest is drained and counted, never stored: no log driver writes it to disk). The
   host enforces the wall-clock deadline by killing the container.
3. When the command ends, the container is frozen (``pause``) so nothing it left running can
   change the outputs, and the output files are copied out through the engine (scoped to the
   container's filesystem, links never followed) with a size cap. Stragglers that cannot be
   frozen get the container killed, and nothing it wrote is kept (`Execution.unfrozen`).
4. The container and the volume are removed whatever happened. Both carry the run id as a label,
   so `sandbox.reaper` can remove leftovers of a crashed host process.

Trusted specs (static analysers, no candidate code) can share one container, one exec each
(`run_group`), which pays the container set-up once. Long-running apps (service mode) are in
`sandbox.service`. Engine errors become `SandboxError`s in `sandbox._engine.engine_errors`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import docker

from sandbox._engine import (
    LABEL_MANAGED,
    LABEL_RUN,
    LABEL_STEP,
    Box,
    Engine,
    engine_errors,
)
from sandbox._tario import workspace_tar
from sandbox.service import DockerService
from sandbox.spec import (
    EngineUnavailable,
    Execution,
    RunSpec,
    merge_workspace,
    stops_group,
)

__all__ = ["LABEL_MANAGED", "LABEL_RUN", "LABEL_STEP", "DockerSandbox", "connect"]

_DRAIN_SECONDS = 2.0
_FROZEN_DRAIN_SECONDS = 0.5


def connect(base_url: str | None = None, timeout: int = 60) -> docker.DockerClient:
    """A Docker client, or `EngineUnavailable` with what to do about it."""
    with engine_errors("connecting", fault=EngineUnavailable):
        client = (
            docker.DockerClient(base_url=base_url, timeout=timeout)
            if base_url
            else (docker.from_env(timeout=timeout))
        )
        client.ping()
    return client


@dataclass(frozen=True)
class _Outcome:
    """What one exec produced, before its files are copied out."""

    exit_code: int
    stdout: bytes
    stderr: bytes
    wall: float
    timed_out: bool
    oom_killed: bool
    truncated: bool
    alive: bool
    """The container still ran when the command ended."""
    unfrozen: bool = False
    """Processes left behind kept the container from being frozen: it was killed instead."""

    @property
    def ok(self) -> bool:
        """Exited 0 and no limit was hit (as `Execution.ok`)."""
        return self.exit_code == 0 and not (self.timed_out or self.oom_killed)


class DockerSandbox:
    """The `Sandbox` implementation on a local (or `DOCKER_HOST`) Docker engine."""

    def __init__(
        self, client: docker.DockerClient | None = None, runtime: str | None = None
    ) -> None:
        self._engine = Engine(client or connect(), runtime)
        """`runtime`: an OCI runtime name (e.g. "runsc") for a stronger boundary where one
        works."""

    def image_id(self, image: str) -> str:
        """The local image's id (a content digest)."""
        return self._engine.image_id(image)

    def run(self, spec: RunSpec) -> Execution:
        """Run `spec` to completion or to its deadline; always clean up."""
        return self.run_group([spec])[0]

    def run_group(self, specs: Sequence[RunSpec]) -> list[Execution]:
        """Run trusted specs in one container, one exec each; a single spec may be untrusted.

        If a command times out (or the container dies under it), the container goes, and the
        specs after it run in a fresh one.
        """
        files_in, writable = merge_workspace(specs)
        first = specs[0]
        image_id = self.image_id(first.image)
        steps = ",".join(s.label for s in specs)
        with (
            engine_errors(steps or "run"),
            self._engine.open(first, steps, workspace_tar(files_in, writable)) as box,
        ):
            done = _execute_all(box, specs, image_id)
        rest = specs[len(done) :]
        if not rest or stops_group(specs[len(done) - 1], done[-1]):
            return done
        return done + self.run_group(rest)

    def start_service(self, spec: RunSpec) -> DockerService:
        """Start `spec`'s command (an app) in its own container and return at once; see
        `sandbox.service`. Probes join its network namespace through `Service.network`."""
        return DockerService.start(self._engine, spec)


def _execute_all(box: Box, specs: Sequence[RunSpec], image_id: str) -> list[Execution]:
    """Exec the specs in order until one ends the container or a gate fails; then freeze
    (after the group's last command) and copy out."""
    ran: list[tuple[RunSpec, _Outcome]] = []
    for index, spec in enumerate(specs):
        ran.append((spec, _exec(box, spec, last=index == len(specs) - 1)))
        if not ran[-1][1].alive:
            break
        if spec.gate and not ran[-1][1].ok:
            break  # trusted specs only share a container: nothing to freeze for
    alive = ran[-1][1].alive
    executions = []
    for spec, result in ran:
        files, dropped = box.copy_out(spec) if alive else ({}, False)
        executions.append(
            Execution(
                exit_code=result.exit_code,
                stdout=result.stdout,
                stderr=result.stderr,
                wall_seconds=result.wall,
                files_out=files,
                timed_out=result.timed_out,
                oom_killed=result.oom_killed,
                output_truncated=result.truncated,
                # A container that died under the command (its holder killed) gave nothing
                # back.
                files_truncated=dropped
                or (bool(spec.files_out) and not alive and not result.timed_out),
                unfrozen=result.unfrozen,
                image_id=image_id,
            )
        )
    return executions


def _exec(box: Box, spec: RunSpec, last: bool) -> _Outcome:
    """Run one command as an exec with the host's deadline. After the group's last command
    the container is frozen (paused) so that nothing left running changes the outputs."""
    with box.exec(spec) as run:
        timed_out = not run.wait(run.started + spec.limits.wall_seconds)
        wall = time.monotonic() - run.started
        alive = box.running()
        unfrozen = False
        if timed_out:
            box.kill()
            alive = False
        elif alive and last and not box.freeze():
            # What stragglers that cannot be stopped wrote is not a result: kill, keep nothing.
            box.kill()
            alive, unfrozen = False, True
        # The stream ends once the command's output is drained, unless a frozen background
        # child still holds the pipe open; what it has not written by now is not part of the
        # result.
        run.pump.thread.join(_FROZEN_DRAIN_SECONDS if alive and last else _DRAIN_SECONDS)
        exit_code = run.exit_code()
        return _Outcome(
            exit_code=-1 if exit_code is None else exit_code,
            stdout=bytes(run.pump.stdout),
            stderr=bytes(run.pump.stderr),
            wall=wall,
            timed_out=timed_out,
            oom_killed=box.oom_since(run.since),
            truncated=run.pump.truncated,
            alive=alive,
            unfrozen=unfrozen,
        )
