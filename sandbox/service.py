"""Long-running candidate commands (service mode): an app in its own hardened container.

The app's container has no network interface but loopback (`--network none`). Trusted probes run
in other containers that join the app's network namespace (`RunSpec.network = service.network`)
and reach it on 127.0.0.1: they share nothing else with it, no process and no filesystem.

Why a shared loopback rather than a Docker `internal` network: measured on this project's engine
(20.10), a container on an internal network still reaches every host service listening on
0.0.0.0 through the bridge's gateway address (the isolation rules only cover forwarded traffic),
and the engine's embedded DNS forwards names to the host's resolvers. A namespace with loopback
only has neither path.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

import docker.errors

from sandbox._stream import OutputPump, close_stream
from sandbox._tario import SANDBOX_GID, SANDBOX_UID, workspace_tar
from sandbox.spec import (
    SCRATCH_DIR,
    Execution,
    ImageMissing,
    RunSpec,
    SandboxFailure,
    merge_workspace,
)

if TYPE_CHECKING:
    from sandbox.docker import DockerSandbox

__all__ = ["DockerService"]

_DRAIN_SECONDS = 0.5
# A frozen app holds its output stream open: stop draining once it has been quiet this long.
_QUIET_SECONDS = 0.1


class DockerService:
    """A started app. `network` is what probes put in `RunSpec.network`; `stop()` ends it."""

    def __init__(
        self, sandbox: DockerSandbox, spec: RunSpec, container: Any, name: str, image_id: str
    ) -> None:
        self._sandbox = sandbox
        self._spec = spec
        self._container = container
        self._name = name
        self._image_id = image_id
        self._since = time.time()
        self._started = time.monotonic()
        api = sandbox.api
        self._exec_id = api.exec_create(
            container.id,
            list(spec.argv),
            stdout=True,
            stderr=True,
            user=f"{SANDBOX_UID}:{SANDBOX_GID}",
            workdir=spec.workdir,
            environment={"HOME": SCRATCH_DIR, **spec.env},
        )["Id"]
        self._stream = api.exec_start(self._exec_id, stream=True, demux=True)
        self._pump = OutputPump(self._stream, spec.limits.output_bytes)

    @classmethod
    def start(cls, sandbox: DockerSandbox, spec: RunSpec) -> DockerService:
        """Open the app's container and start its command without waiting for it."""
        files_in, writable = merge_workspace([spec])
        image_id = sandbox.image_id(spec.image)
        name = f"takehome-{spec.run_id}-{uuid.uuid4().hex[:10]}"
        labels = sandbox.labels(spec.run_id, spec.label)
        container: Any = None
        try:
            container = sandbox.open_container(
                spec, name, labels, workspace_tar(files_in, writable)
            )
            return cls(sandbox, spec, container, name, image_id)
        except BaseException as exc:
            sandbox.remove(container, name)
            if isinstance(exc, docker.errors.ImageNotFound):
                raise ImageMissing(str(exc)) from exc
            if isinstance(exc, docker.errors.DockerException):
                raise SandboxFailure(f"{spec.label or 'service'}: {exc}") from exc
            raise

    @property
    def network(self) -> str:
        """The network mode that puts a probe into this app's network namespace."""
        return f"container:{self._container.id}"

    def running(self) -> bool:
        """Whether the app's command is still running (or about to start) in a live container."""
        self._container.reload()
        alive = bool(self._container.attrs["State"].get("Running", False))
        return alive and not self._sandbox.exec_finished(self._exec_id)

    def stop(self) -> Execution:
        """Freeze the app, collect its capped output and files, remove its container.

        `exit_code` is -1 when the app was still running (the normal case); `timed_out` says it
        outlived its own wall-clock limit.
        """
        api = self._sandbox.api
        try:
            wall = time.monotonic() - self._started
            running = self.running()
            self._container.reload()
            alive = bool(self._container.attrs["State"].get("Running", False))
            if alive:
                self._container.pause()
            self._pump.drain(_DRAIN_SECONDS, _QUIET_SECONDS)
            files, dropped = (
                self._sandbox.copy_out(self._container, self._spec) if alive else ({}, False)
            )
            code = api.exec_inspect(self._exec_id).get("ExitCode")
            return Execution(
                exit_code=-1 if running or not isinstance(code, int) else code,
                stdout=bytes(self._pump.stdout),
                stderr=bytes(self._pump.stderr),
                wall_seconds=wall,
                files_out=files,
                timed_out=wall > self._spec.limits.wall_seconds,
                oom_killed=self._sandbox.oom_since(self._container.id, self._since),
                output_truncated=self._pump.truncated,
                files_truncated=dropped,
                image_id=self._image_id,
            )
        except docker.errors.DockerException as exc:
            raise SandboxFailure(f"{self._spec.label or 'service'}: {exc}") from exc
        finally:
            close_stream(self._stream)
            self._sandbox.remove(self._container, self._name)
