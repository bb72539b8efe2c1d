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

from sandbox._engine import Box, Engine, Exec, engine_errors
from sandbox._tario import workspace_tar
from sandbox.spec import Execution, RunSpec, merge_workspace

__all__ = ["DockerService"]

_DRAIN_SECONDS = 0.5
# A frozen app holds its output stream open: stop draining once it has been quiet this long.
_QUIET_SECONDS = 0.1


class DockerService:
    """A started app. `network` is what probes put in `RunSpec.network`; `stop()` ends it."""

    def __init__(self, spec: RunSpec, box: Box, run: Exec, image_id: str) -> None:
        self._spec = spec
        self._box = box
        self._run = run
        self._image_id = image_id
        self._doing = spec.label or "service"

    @classmethod
    def start(cls, engine: Engine, spec: RunSpec) -> DockerService:
        """Open the app's container on `engine` and start its command without waiting for it."""
        files_in, writable = merge_workspace([spec])
        image_id = engine.image_id(spec.image)
        with engine_errors(spec.label or "service"):
            box = engine.open(spec, spec.label, workspace_tar(files_in, writable))
            try:
                return cls(spec, box, box.exec(spec), image_id)
            except BaseException:
                box.close()
                raise

    @property
    def network(self) -> str:
        """The network mode that puts a probe into this app's network namespace."""
        return f"container:{self._box.id}"

    def running(self) -> bool:
        """Whether the app's command is still running (or about to start) in a live container."""
        with engine_errors(self._doing):
            return self._box.running() and not self._run.finished()

    def stop(self) -> Execution:
        """Freeze the app, collect its capped output and files, remove its container.

        `exit_code` is -1 when the app was still running (the normal case); `timed_out` says it
        outlived its own wall-clock limit.
        """
        with engine_errors(self._doing), self._box as box, self._run as run:
            wall = time.monotonic() - run.started
            running = self.running()
            alive = box.running()
            if alive and not box.freeze():
                # The freezer kept giving up (seen on a loaded host, and with a fork bomb racing
                # it): kill the app instead, so nothing it left running changes the files copied
                # out below. The engine can still copy from a killed container.
                box.kill()
            run.pump.drain(_DRAIN_SECONDS, _QUIET_SECONDS)
            files, dropped = box.copy_out(self._spec) if alive else ({}, False)
            code = run.exit_code()
            return Execution(
                exit_code=-1 if running or code is None else code,
                stdout=bytes(run.pump.stdout),
                stderr=bytes(run.pump.stderr),
                wall_seconds=wall,
                files_out=files,
                timed_out=wall > self._spec.limits.wall_seconds,
                oom_killed=box.oom_since(run.since),
                output_truncated=run.pump.truncated,
                files_truncated=dropped,
                image_id=self._image_id,
            )
