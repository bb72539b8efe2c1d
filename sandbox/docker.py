"""`DockerSandbox`: runs a `RunSpec` in a fresh, hardened container through the Docker SDK.

How one run goes, and why:

1. A workspace volume is created on tmpfs (``size=`` bounds every byte written to ``/work``; the
   engine here has no disk quotas) and a container is created whose main process is a trusted
   idle holder under ``--init``. The container has no network (or only a run's internal one), a
   read-only root filesystem, a size-limited ``/tmp``, user 65534, no capabilities,
   ``no-new-privileges``, the default seccomp profile, pid/memory(=memory+swap)/CPU limits and
   ``fsize``/``nofile``/``core=0`` ulimits.
2. The container starts, which mounts the tmpfs volume, and the input files are copied in: a
   tmpfs volume only holds data while a container has it mounted, so the copy must happen here.
3. The command runs as an exec in that container, with stdout/stderr streamed and capped on the
   host (the rest is drained and counted, never stored: no log driver writes it to disk). The
   host enforces the wall-clock deadline by killing the container.
4. When the command ends, the container is frozen (``pause``) so nothing it left running can
   change the outputs, and the output files are copied out through the engine (scoped to the
   container's filesystem, links never followed) with a size cap.
5. The container and the volume are removed whatever happened. Both carry the run id as a label,
   so `reap()` can remove leftovers of a crashed host process.

Trusted specs (static analysers, no candidate code) can share one container, one exec each
(`run_group`), which pays the container set-up once. Long-running apps (service mode) are in
`sandbox.service`.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import docker
import docker.errors
from docker.types import LogConfig, Ulimit

from sandbox._stream import OutputPump, close_stream
from sandbox._tario import (
    SANDBOX_GID,
    SANDBOX_UID,
    CappedReader,
    read_regular_files,
    workspace_tar,
)
from sandbox.service import DockerService
from sandbox.spec import (
    SCRATCH_DIR,
    WORKDIR,
    EngineUnavailable,
    Execution,
    ImageMissing,
    RunSpec,
    SandboxFailure,
    merge_workspace,
    stops_group,
)

__all__ = ["LABEL_MANAGED", "LABEL_RUN", "LABEL_STEP", "DockerSandbox", "connect"]

LABEL_MANAGED = "takehome.managed"
LABEL_RUN = "takehome.run"
LABEL_STEP = "takehome.step"
_HOLDER = ("sleep", "infinity")
_POLL_SECONDS = 0.02
_SLOW_POLL_SECONDS = 0.25
_DRAIN_SECONDS = 2.0
_FROZEN_DRAIN_SECONDS = 0.5
# The cgroup freezer can give up while processes left behind keep forking (a fork bomb's tree
# racing the freeze): runc then answers "unable to freeze". Try again a few times, then kill.
_FREEZE_ATTEMPTS = 8
_FREEZE_BACKOFF_SECONDS = 0.05


def connect(base_url: str | None = None, timeout: int = 60) -> docker.DockerClient:
    """A Docker client, or `EngineUnavailable` with what to do about it."""
    try:
        client = (
            docker.DockerClient(base_url=base_url, timeout=timeout)
            if base_url
            else (docker.from_env(timeout=timeout))
        )
        client.ping()
    except docker.errors.DockerException as exc:
        raise EngineUnavailable(
            f"cannot reach the Docker engine ({exc});"
            " start it (e.g. `dockerd &`) or set DOCKER_HOST"
        ) from exc
    return client


@dataclass(frozen=True)
class _Exec:
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
        self._client = client or connect()
        self._api = self._client.api
        self._runtime = runtime
        """An OCI runtime name (e.g. "runsc") for a stronger boundary where one works."""

    def image_id(self, image: str) -> str:
        """The local image's id (a content digest)."""
        try:
            return str(self._client.images.get(image).id)
        except docker.errors.ImageNotFound:
            raise ImageMissing(
                f"image {image!r} is missing: run `takehome images build`"
            ) from None
        except docker.errors.DockerException as exc:
            raise EngineUnavailable(str(exc)) from exc

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
        name = f"takehome-{first.run_id}-{uuid.uuid4().hex[:10]}"
        steps = ",".join(s.label for s in specs)
        labels = self.labels(first.run_id, steps)
        container: Any = None
        try:
            container = self.open_container(first, name, labels, workspace_tar(files_in, writable))
            done = self._execute_all(container, specs, image_id)
        except docker.errors.ImageNotFound as exc:
            raise ImageMissing(str(exc)) from exc
        except docker.errors.DockerException as exc:
            raise SandboxFailure(f"{steps or 'run'}: {exc}") from exc
        finally:
            self.remove(container, name)
        rest = specs[len(done) :]
        if not rest or stops_group(specs[len(done) - 1], done[-1]):
            return done
        return done + self.run_group(rest)

    def _execute_all(
        self, container: Any, specs: Sequence[RunSpec], image_id: str
    ) -> list[Execution]:
        """Exec the specs in order until one ends the container or a gate fails; then freeze
        (after the group's last command) and copy out."""
        ran: list[tuple[RunSpec, _Exec]] = []
        for index, spec in enumerate(specs):
            ran.append((spec, self._exec(container, spec, last=index == len(specs) - 1)))
            if not ran[-1][1].alive:
                break
            if spec.gate and not ran[-1][1].ok:
                break  # trusted specs only share a container: nothing to freeze for
        alive = ran[-1][1].alive
        executions = []
        for spec, result in ran:
            files, dropped = self.copy_out(container, spec) if alive else ({}, False)
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

    @property
    def api(self) -> Any:
        """The low-level engine client."""
        return self._api

    @staticmethod
    def labels(run_id: str, step: str) -> dict[str, str]:
        """The labels every object of a run carries (the reaper finds leftovers by them)."""
        return {LABEL_MANAGED: "1", LABEL_RUN: run_id, LABEL_STEP: step[:200]}

    def start_service(self, spec: RunSpec) -> DockerService:
        """Start `spec`'s command (an app) in its own container and return at once; see
        `sandbox.service`. Probes join its network namespace through `Service.network`."""
        return DockerService.start(self, spec)

    def open_container(self, spec: RunSpec, name: str, labels: dict[str, str], tar: bytes) -> Any:
        """Create the workspace volume and the container, start it, copy the workspace in.
        The caller removes both (`_remove`) whatever happens."""
        self._client.volumes.create(
            name=name,
            driver="local",
            driver_opts={
                "type": "tmpfs",
                "device": "tmpfs",
                "o": f"size={spec.limits.workspace_bytes},mode=0755,nosuid,nodev",
            },
            labels=labels,
        )
        container = self._create(spec, name, labels)
        container.start()
        if not container.put_archive(WORKDIR, tar):
            raise SandboxFailure("the engine refused the workspace files")
        return container

    def _create(self, spec: RunSpec, name: str, labels: dict[str, str]) -> Any:
        lim = spec.limits
        return self._client.containers.create(
            spec.image,
            list(_HOLDER),
            name=name,
            labels=labels,
            user=f"{SANDBOX_UID}:{SANDBOX_GID}",
            working_dir=WORKDIR,
            environment={"HOME": SCRATCH_DIR},
            # A probe joining an app's network namespace cannot set its own hostname.
            hostname=None if spec.network else "sandbox",
            network_mode=spec.network or "none",
            read_only=True,
            tmpfs={SCRATCH_DIR: f"rw,nosuid,nodev,size={lim.tmpfs_bytes},mode=1777"},
            volumes={name: {"bind": WORKDIR, "mode": "rw"}},
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            init=True,
            ipc_mode="private",
            pids_limit=lim.pids,
            mem_limit=lim.memory_bytes,
            memswap_limit=lim.memory_bytes,
            nano_cpus=int(lim.cpus * 1e9),
            ulimits=[
                Ulimit(name="fsize", soft=lim.file_size_bytes, hard=lim.file_size_bytes),
                Ulimit(name="nofile", soft=lim.nofile, hard=lim.nofile),
                Ulimit(name="core", soft=0, hard=0),
            ],
            log_config=LogConfig(type="none"),
            runtime=self._runtime,
        )

    def _exec(self, container: Any, spec: RunSpec, last: bool) -> _Exec:
        """Run one command as an exec with the host's deadline. After the group's last command
        the container is frozen (paused) so that nothing left running changes the outputs."""
        exec_id = self._api.exec_create(
            container.id,
            list(spec.argv),
            stdout=True,
            stderr=True,
            user=f"{SANDBOX_UID}:{SANDBOX_GID}",
            workdir=spec.workdir,
            environment={"HOME": SCRATCH_DIR, **spec.env},
        )["Id"]
        since = time.time()
        started = time.monotonic()
        stream = self._api.exec_start(exec_id, stream=True, demux=True)
        try:
            pump = OutputPump(stream, spec.limits.output_bytes)
            deadline = started + spec.limits.wall_seconds
            timed_out = not self._wait_exec(exec_id, deadline, pump.thread)
            wall = time.monotonic() - started
            container.reload()
            alive = bool(container.attrs["State"].get("Running", False))
            unfrozen = False
            if timed_out:
                container.kill()
                alive = False
            elif alive and last and not self._freeze(container):
                # What stragglers that cannot be stopped wrote is not a result: kill, keep nothing.
                container.kill()
                alive, unfrozen = False, True
            # The stream ends once the command's output is drained, unless a frozen background
            # child still holds the pipe open; what it has not written by now is not part of the
            # result.
            pump.thread.join(_FROZEN_DRAIN_SECONDS if alive and last else _DRAIN_SECONDS)
            exit_code = self._api.exec_inspect(exec_id).get("ExitCode")
            return _Exec(
                exit_code=exit_code if isinstance(exit_code, int) else -1,
                stdout=bytes(pump.stdout),
                stderr=bytes(pump.stderr),
                wall=wall,
                timed_out=timed_out,
                oom_killed=self.oom_since(container.id, since),
                truncated=pump.truncated,
                alive=alive,
                unfrozen=unfrozen,
            )
        finally:
            # The exec's connection to the engine: a frozen child may still hold its pipe open,
            # and an unclosed socket would leak one descriptor per run.
            close_stream(stream)

    @staticmethod
    def _freeze(container: Any) -> bool:
        """Pause the container so nothing left running changes the outputs; False when the
        freezer kept failing (processes forking as it tried)."""
        for attempt in range(_FREEZE_ATTEMPTS):
            try:
                container.pause()
            except docker.errors.APIError as exc:
                if "freeze" not in str(exc):
                    raise
                time.sleep(_FREEZE_BACKOFF_SECONDS * (attempt + 1))
            else:
                return True
        return False

    def oom_since(self, container_id: str, since: float) -> bool:
        """Whether the kernel OOM-killed anything in the container since `since`. The engine's
        State.OOMKilled only covers the main process, so ask for the container's oom events."""
        events = self._api.events(  # type: ignore[call-overload] # the engine takes fractions
            since=f"{since - 1:.9f}",
            until=f"{time.time():.9f}",
            filters={"container": container_id, "event": "oom"},
            decode=True,
        )
        try:
            return any(True for _ in events)
        finally:
            close_stream(events)  # `any` stops at the first event: do not leak the connection

    def _wait_exec(self, exec_id: str, deadline: float, output: threading.Thread) -> bool:
        """Wait until the exec ends (True) or the deadline passes (False).

        The output stream (`output`, its pump) normally ends when the command exits, so wait on
        that and ask the engine then. But a background child holding stdout open must not stall
        the run: while the stream stays open the engine is asked anyway, ever less often (up to
        `_SLOW_POLL_SECONDS`). Each question costs the engine and this process CPU that the
        gradings beside this one could use (a fixed 20 ms poll cost about 0.06 s a grading)."""
        interval = _POLL_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            if output.is_alive():
                output.join(min(interval, left))
                interval = min(interval * 2, _SLOW_POLL_SECONDS)
            else:  # the stream ended (or the command closed its output): poll at the fast pace
                time.sleep(min(_POLL_SECONDS, left))
            if self.exec_finished(exec_id):
                return True
        return self.exec_finished(exec_id)

    def exec_finished(self, exec_id: str) -> bool:
        """Whether an exec has run and exited. Not merely "not running": the engine answers the
        start request before the process exists, and until then the exec is not running either
        (its exit code is still null)."""
        info = self._api.exec_inspect(exec_id)
        return not info.get("Running") and info.get("ExitCode") is not None

    def copy_out(self, container: Any, spec: RunSpec) -> tuple[dict[str, bytes], bool]:
        """The spec's `files_out`: regular files only, under its size cap."""
        budget = spec.limits.files_out_bytes
        files: dict[str, bytes] = {}
        dropped = False
        for path in spec.files_out:
            try:
                chunks, _stat = container.get_archive(f"{WORKDIR}/{path}")
            except docker.errors.NotFound:
                continue
            # The stream's cap is not the budget: skipping an oversized file means reading past it,
            # and the files after it must still come back. The workspace's size bounds the stream.
            reader = CappedReader(iter(chunks), budget + spec.limits.workspace_bytes)
            got, lost = read_regular_files(reader, path, budget)
            files.update(got)
            budget -= sum(len(v) for v in got.values())
            dropped = dropped or lost or reader.exceeded
        return files, dropped

    def remove(self, container: Any, volume: str) -> None:
        """Remove a container and its workspace volume, whichever exist."""
        if container is not None:
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)
        with contextlib.suppress(docker.errors.NotFound):
            self._client.volumes.get(volume).remove(force=True)
