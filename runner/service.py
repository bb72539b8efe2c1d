"""Service mode: the candidate's app runs in its own container while the probes test it.

`AppUnderTest` starts the app (`[service] command`, from the repository root, with `PORT` and a
writable `DATA_DIR`), gives the pipeline the check that waits for its health URL with a bounded
deadline (`ready_check`: trusted, run as a gate in the probes' container, which shares only the
app's loopback), and on exit stops it and turns what happened into verdicts and a capped log for
the reviewer. The probes themselves are the hidden tests, run by the tests grader in that other
container (`GradingInput.service_network`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import TracebackType

from graders.base import TOOLS_PYTHON
from graders.model import Verdict, VerdictKind
from runner._manifest import ServiceSpec
from runner.challenge import Challenge
from runner.intake import Snapshot
from sandbox import TIMED_CPU_SHARES, Execution, Limits, RunSpec, Sandbox, Service

__all__ = ["APP_LOG_BYTES", "AppUnderTest"]

#: How much of the app's output the report keeps (the end of it, where failures show).
APP_LOG_BYTES = 64 * 1024
APP_STEP = "service.app"
READY_STEP = "service.ready"

# Trusted code, run with `python -I` in the challenge image: poll the URL until it answers with a
# status below 400 or the deadline passes. argv: URL, seconds.
_READY = """
import sys, time, urllib.error, urllib.request
url, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
last = "no answer"
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            if response.status < 400:
                sys.exit(0)
            last = f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        last = f"HTTP {exc.code}"
    except OSError as exc:
        last = repr(exc)
    time.sleep(0.2)
sys.exit(f"{url} not ready: {last}")
"""


class AppUnderTest:
    """The candidate's app for one run: a context manager around `Sandbox.start_service`."""

    def __init__(
        self,
        sandbox: Sandbox,
        challenge: Challenge,
        snapshot: Snapshot,
        run_id: str,
        image: str,
        *,
        service: ServiceSpec | None = None,
        grader_files: Mapping[str, tuple[bytes, int]] | None = None,
        timed: bool = True,
    ) -> None:
        """`service` and `grader_files` replace the manifest's `[service]` for a grader-owned
        app (the isolated unit oracle's call server, `runner/oracle.py`). `timed`: the probes
        measure time, so the app, its readiness check and the probes get a timed CPU share
        (`sandbox.TIMED_CPU_SHARES`); a call server, which nothing times, keeps the default.
        The app's share is still bounded by its CPU quota (`[limits] cpus`)."""
        service = service or challenge.manifest.service
        if service is None:
            raise ValueError(f"challenge {challenge.manifest.id!r} has no [service] section")
        self._sandbox = sandbox
        self._settings = service
        self._image = image
        self._run_id = run_id
        self.timed = timed
        limits = challenge.limits()
        self._shares = TIMED_CPU_SHARES if timed else limits.cpu_shares
        memory = service.memory_mb * 1024 * 1024 if service.memory_mb else limits.memory_bytes
        self._spec = RunSpec(
            image=image,
            argv=service.command,
            run_id=run_id,
            files_in={
                **{f"src/{path}": (data, 0o444) for path, data in snapshot.files.items()},
                **(grader_files or {}),
            },
            writable_dirs=("out", "data"),
            env={
                "PORT": str(service.port),
                "DATA_DIR": "/work/data",
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONUNBUFFERED": "1",
            },
            workdir="/work/src",
            # The app lives through every probe: give it the sum of both deadlines.
            limits=dataclasses.replace(
                limits,
                memory_bytes=memory,
                wall_seconds=limits.wall_seconds + service.ready_seconds + 60,
                cpu_shares=self._shares,
            ),
            label=APP_STEP,
        )
        self._service: Service | None = None
        self.verdicts: list[Verdict] = []
        self.log = ""
        self.execution: Execution | None = None

    @property
    def url(self) -> str:
        """Where the probes reach the app."""
        return f"http://127.0.0.1:{self._settings.port}"

    @property
    def network(self) -> str:
        """The network mode that puts a probe next to the app."""
        if self._service is None:
            raise RuntimeError("the app is not started")
        return self._service.network

    def __enter__(self) -> AppUnderTest:
        self._service = self._sandbox.start_service(self._spec)
        return self

    def ready_check(self, limits: Limits) -> RunSpec:
        """The trusted readiness check: it polls the health URL until it answers or
        `ready_seconds` pass. A gate (`RunSpec.gate`) for the probes: it runs first in their
        container (so it takes their container-level `limits`), and they run only if it passes.
        """
        seconds = self._settings.ready_seconds
        return RunSpec(
            image=self._image,
            argv=(
                TOOLS_PYTHON,
                "-I",
                "-c",
                _READY,
                self.url + self._settings.health_path,
                str(seconds),
            ),
            run_id=self._run_id,
            network=self.network,
            limits=dataclasses.replace(limits, wall_seconds=seconds + 15, cpu_shares=self._shares),
            label=READY_STEP,
            trusted=True,
            gate=True,
        )

    def readiness(self, done: Execution | None) -> bool:
        """Whether the readiness check passed; a verdict if it did not (or did not run)."""
        if done is not None and done.ok:
            return True
        reason = done.stderr.decode(errors="replace").strip()[-500:] if done else ""
        alive = self._service is not None and self._service.running()
        detail = (
            f"{reason or 'no answer'}"
            f" (the app is {'still running' if alive else 'no longer running'})"
        )
        self.verdicts.append(
            Verdict(kind=VerdictKind.SERVICE_NOT_READY, step=APP_STEP, detail=detail)
        )
        return False

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._service is None:
            return
        done = self._service.stop()
        self.execution = done
        text = (done.stdout + done.stderr).decode(errors="replace")
        self.log = text[-APP_LOG_BYTES:]
        if done.exit_code != -1:
            detail = f"the app exited with status {done.exit_code} before the probes were done"
            self.verdicts.append(
                Verdict(kind=VerdictKind.SERVICE_EXITED, step=APP_STEP, detail=detail)
            )
        for hit, kind, detail in (
            (done.oom_killed, VerdictKind.OOM_KILLED, "the app ran out of memory"),
            (done.output_truncated, VerdictKind.OUTPUT_TRUNCATED, "the app's output was capped"),
            (done.timed_out, VerdictKind.TIMED_OUT, "the app outlived its wall-clock limit"),
        ):
            if hit:
                self.verdicts.append(Verdict(kind=kind, step=APP_STEP, detail=detail))
