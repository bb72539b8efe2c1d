"""Container primitives on the Docker engine, and the one place its errors are mapped.

What a sandbox container is, and why:

- A workspace volume on tmpfs (``size=`` bounds every byte written to ``/work``; the engine here
  has no disk quotas) and a container whose main process is a trusted idle holder under
  ``--init``. The container has no network (or only a run's internal one), a read-only root
  filesystem, a size-limited ``/tmp``, user 65534, no capabilities, ``no-new-privileges``, the
  default seccomp profile, pid/memory(=memory+swap)/CPU limits and ``fsize``/``nofile``/
  ``core=0`` ulimits; no log driver, so nothing a command prints is written to disk.
- `Engine.open` starts the container, which mounts the tmpfs volume, and copies the input files
  in: a tmpfs volume only holds data while a container has it mounted, so the copy must happen
  there. Commands run as execs in it (`Box.exec`), their output streamed and capped on the host.
- Output files are copied out through the engine (`Box.copy_out`: scoped to the container's
  filesystem, links never followed) with a size cap, after the container is frozen
  (`Box.freeze`) so that nothing left running changes them.
- The container and its volume share one name and carry the run id as a label, so `Box.close()`
  removes both and `sandbox.reaper` finds what a crashed host process left behind.

Every call into the engine runs inside `engine_errors`, which maps what the Docker SDK and the
HTTP client under it raise to the `SandboxError` tree of `sandbox.spec`, once for every caller.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from types import TracebackType
from typing import Any, Self

import docker
import docker.errors
import requests.exceptions
from docker.types import LogConfig, Ulimit

from sandbox._stream import OutputPump, close_stream
from sandbox._tario import SANDBOX_GID, SANDBOX_UID, CappedReader, read_regular_files
from sandbox.spec import (
    SCRATCH_DIR,
    WORKDIR,
    EngineUnavailable,
    ImageMissing,
    RunSpec,
    SandboxError,
    SandboxFailure,
)

__all__ = [
    "LABEL_MANAGED",
    "LABEL_RUN",
    "LABEL_STEP",
    "Box",
    "Engine",
    "Exec",
    "engine_errors",
    "freeze",
    "image_exists",
    "image_id",
]

LABEL_MANAGED = "takehome.managed"
LABEL_RUN = "takehome.run"
LABEL_STEP = "takehome.step"
_HOLDER = ("sleep", "infinity")
_POLL_SECONDS = 0.02
_SLOW_POLL_SECONDS = 0.25
# The cgroup freezer can give up while processes left behind keep forking (a fork bomb's tree
# racing the freeze): runc then answers "unable to freeze". Try again a few times, then kill.
_FREEZE_ATTEMPTS = 8
_FREEZE_BACKOFF_SECONDS = 0.05
_START_IT = "start it (e.g. `dockerd &`) or set DOCKER_HOST"


@contextlib.contextmanager
def engine_errors(doing: str, fault: type[SandboxError] = SandboxFailure) -> Iterator[None]:
    """Map what the Docker SDK (and `requests` under it) raises inside to a `SandboxError`.

    `doing` starts the message (a step label, "connecting"). The table::

        BuildError                        SandboxFailure, with the end of the build log
        ImageNotFound                     ImageMissing, saying how to build the images
        requests ConnectionError          EngineUnavailable, saying how to start the engine
        any other DockerException or
        RequestException                  `fault`: SandboxFailure (the engine refused or broke),
                                          EngineUnavailable where the calls only reach the
                                          engine (`connect`), ImageMissing where they only
                                          fetch an image (a pull)

    A `SandboxError` raised inside passes through unchanged.
    """
    try:
        yield
    except docker.errors.BuildError as exc:
        tail = "".join(str(c.get("stream", "")) for c in exc.build_log)[-2000:]
        raise SandboxFailure(f"{doing}: {exc.msg}\n{tail}") from exc
    except docker.errors.ImageNotFound as exc:
        why = exc.explanation or exc
        raise ImageMissing(f"{doing}: {why}; run `takehome images build`") from exc
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        if fault is EngineUnavailable or isinstance(exc, requests.exceptions.ConnectionError):
            raise EngineUnavailable(
                f"{doing}: cannot reach the Docker engine ({exc}); {_START_IT}"
            ) from exc
        raise fault(f"{doing}: {exc}") from exc


def image_id(client: docker.DockerClient, image: str) -> str:
    """The local image's id (a content digest); `ImageMissing` when there is none."""
    with engine_errors(f"image {image!r}"):
        return str(client.images.get(image).id)


def image_exists(client: docker.DockerClient, image: str) -> bool:
    """Whether the image is local."""
    try:
        image_id(client, image)
    except ImageMissing:
        return False
    return True


def freeze(container: Any) -> bool:
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


class _Closing:
    """A context manager that `close()`s what it holds on the way out."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Give back what is held."""
        raise NotImplementedError


class Engine:
    """Opens sandbox containers on one Docker client. Its calls, and those of `Box` and `Exec`,
    are raw (`image_id` aside): callers run them inside `engine_errors`."""

    def __init__(self, client: docker.DockerClient, runtime: str | None = None) -> None:
        self._client = client
        self._runtime = runtime
        """An OCI runtime name (e.g. "runsc") for a stronger boundary where one works."""

    def image_id(self, image: str) -> str:
        """The local image's id (see `image_id`)."""
        return image_id(self._client, image)

    def open(self, spec: RunSpec, step: str, tar: bytes) -> Box:
        """Create the workspace volume and the container for `spec`'s run (labelled `step`),
        start it and copy the workspace (`tar`) in. What was made is removed if that fails;
        afterwards the caller closes the `Box` (it is a context manager), which removes both."""
        name = f"takehome-{spec.run_id}-{uuid.uuid4().hex[:10]}"
        labels = {LABEL_MANAGED: "1", LABEL_RUN: spec.run_id, LABEL_STEP: step[:200]}
        box = Box(self._client, None, name)
        try:
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
            box = Box(self._client, self._create(spec, name, labels), name)
            box.start(tar)
        except BaseException:
            box.close()
            raise
        return box

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
            cpu_shares=lim.cpu_shares,
            ulimits=[
                Ulimit(name="fsize", soft=lim.file_size_bytes, hard=lim.file_size_bytes),
                Ulimit(name="nofile", soft=lim.nofile, hard=lim.nofile),
                Ulimit(name="core", soft=0, hard=0),
            ],
            log_config=LogConfig(type="none"),
            runtime=self._runtime,
        )


class Box(_Closing):
    """One open sandbox container and its workspace volume (of the same name)."""

    def __init__(self, client: docker.DockerClient, container: Any, name: str) -> None:
        self._client = client
        self._container = container
        self._name = name

    @property
    def id(self) -> str:
        """The container's id."""
        return str(self._container.id)

    def start(self, tar: bytes) -> None:
        """Start the container (mounting the volume) and copy the workspace in."""
        self._container.start()
        if not self._container.put_archive(WORKDIR, tar):
            raise SandboxFailure("the engine refused the workspace files")

    def running(self) -> bool:
        """Whether the container still runs (asks the engine)."""
        self._container.reload()
        return bool(self._container.attrs["State"].get("Running", False))

    def exec(self, spec: RunSpec) -> Exec:
        """Start `spec`'s command as the sandbox user; its output is pumped at once."""
        return Exec(self._client.api, self.id, spec)

    def kill(self) -> None:
        """Kill the container (its holder, and so every process in it)."""
        self._container.kill()

    def freeze(self) -> bool:
        """`freeze` this container (a command's after it ended, an app's when it is stopped)."""
        return freeze(self._container)

    def oom_since(self, since: float) -> bool:
        """Whether the kernel OOM-killed anything in the container since `since`. The engine's
        State.OOMKilled only covers the main process, so ask for the container's oom events."""
        events = self._client.api.events(  # type: ignore[call-overload] # the engine takes fractions
            since=f"{since - 1:.9f}",
            until=f"{time.time():.9f}",
            filters={"container": self.id, "event": "oom"},
            decode=True,
        )
        try:
            return any(True for _ in events)
        finally:
            close_stream(events)  # `any` stops at the first event: do not leak the connection

    def copy_out(self, spec: RunSpec) -> tuple[dict[str, bytes], bool]:
        """The spec's `files_out`: regular files only, under its size cap; and whether any
        were dropped."""
        budget = spec.limits.files_out_bytes
        files: dict[str, bytes] = {}
        dropped = False
        for path in spec.files_out:
            try:
                chunks, _stat = self._container.get_archive(f"{WORKDIR}/{path}")
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

    def close(self) -> None:
        """Remove the container and its workspace volume, whichever exist."""
        if self._container is not None:
            with contextlib.suppress(docker.errors.NotFound):
                self._container.remove(force=True)
        with contextlib.suppress(docker.errors.NotFound):
            self._client.volumes.get(self._name).remove(force=True)


class Exec(_Closing):
    """A command running in a `Box`, its output drained by `pump`; `close()` ends the stream."""

    def __init__(self, api: Any, container_id: str, spec: RunSpec) -> None:
        self._api = api
        self.id: str = api.exec_create(
            container_id,
            list(spec.argv),
            stdout=True,
            stderr=True,
            user=f"{SANDBOX_UID}:{SANDBOX_GID}",
            workdir=spec.workdir,
            environment={"HOME": SCRATCH_DIR, **spec.env},
        )["Id"]
        self.since = time.time()
        """Wall-clock start, for the engine's events."""
        self.started = time.monotonic()
        self._stream = api.exec_start(self.id, stream=True, demux=True)
        try:
            self.pump = OutputPump(self._stream, spec.limits.output_bytes)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the exec's connection to the engine: a frozen child may still hold its pipe
        open, and an unclosed socket would leak one descriptor per run."""
        close_stream(self._stream)

    def finished(self) -> bool:
        """Whether the exec has run and exited. Not merely "not running": the engine answers the
        start request before the process exists, and until then the exec is not running either
        (its exit code is still null)."""
        info = self._api.exec_inspect(self.id)
        return not info.get("Running") and info.get("ExitCode") is not None

    def exit_code(self) -> int | None:
        """The command's exit code; None while it has none."""
        code = self._api.exec_inspect(self.id).get("ExitCode")
        return code if isinstance(code, int) else None

    def wait(self, deadline: float) -> bool:
        """Wait until the exec ends (True) or the monotonic `deadline` passes (False).

        The output stream (its `pump`) normally ends when the command exits, so wait on that
        and ask the engine then. But a background child holding stdout open must not stall
        the run: while the stream stays open the engine is asked anyway, ever less often (up to
        `_SLOW_POLL_SECONDS`). Each question costs the engine and this process CPU that the
        gradings beside this one could use (a fixed 20 ms poll cost about 0.06 s a grading)."""
        output: threading.Thread = self.pump.thread
        interval = _POLL_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            if output.is_alive():
                output.join(min(interval, left))
                interval = min(interval * 2, _SLOW_POLL_SECONDS)
            else:  # the stream ended (or the command closed its output): poll at the fast pace
                time.sleep(min(_POLL_SECONDS, left))
            if self.finished():
                return True
        return self.finished()
