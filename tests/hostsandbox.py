"""`HostSandbox`: the `Sandbox` protocol without containers, running the real pinned tools.

It lays the workspace out in a temporary directory, maps `/work/...` and `/tmp/...` paths (in
argv, env, and the grader's own files) into it, runs the argv on the host with
`/opt/takehome/bin/X` replaced by this virtualenv's tools (the same pinned versions as the
images), and maps the paths back in what comes out. Tool output in the tests is therefore real
output, not a hand-written imitation; the benchmark uses it as its host baseline. It isolates
nothing: only ever give it fixture code.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sandbox import Execution, RunSpec, run_in_order

__all__ = ["HostSandbox", "HostService"]

_VENV_BIN = Path(sys.executable).parent
_TOOLS = "/opt/takehome/bin/"
_SANDBOX_PATH = re.compile(r"(?<![\w.\-/])/(work|tmp)(?![\w.\-])")


class HostSandbox:
    """Runs specs on the host in per-run directories under `root` (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.specs: list[RunSpec] = []
        self.workspaces: list[Path] = []

    def image_id(self, image: str) -> str:
        """A fake digest: the host has no images."""
        return f"sha256:host-{image}"

    def run_group(self, specs: Sequence[RunSpec]) -> list[Execution]:
        """One after another until a gate fails, each in its own directory (the host has no
        containers to share)."""
        return run_in_order(specs, self.run)

    def run(self, spec: RunSpec) -> Execution:
        """Populate a fresh workspace, run the mapped argv, collect `files_out`."""
        work, tmp, argv, env = self._prepare(spec)
        to_host = _mapper(work, tmp)
        started = time.monotonic()
        timed_out = False
        try:
            done = subprocess.run(
                argv,
                cwd=to_host(spec.workdir),
                env=env,
                capture_output=True,
                timeout=spec.limits.wall_seconds,
                check=False,
            )
            code, out, err = done.returncode, done.stdout, done.stderr
        except subprocess.TimeoutExpired as exc:
            code, out, err, timed_out = -9, exc.stdout or b"", exc.stderr or b"", True
        back = _unmapper(work, tmp)
        return Execution(
            exit_code=code,
            stdout=back(out),
            stderr=back(err),
            wall_seconds=time.monotonic() - started,
            files_out={k: back(v) for k, v in _collect(work, spec.files_out).items()},
            timed_out=timed_out,
        )

    def start_service(self, spec: RunSpec) -> HostService:
        """Start the mapped argv in the background; the host has one loopback for everyone."""
        work, tmp, argv, env = self._prepare(spec)
        process = subprocess.Popen(
            argv,
            cwd=_mapper(work, tmp)(spec.workdir),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        return HostService(process, _unmapper(work, tmp))

    def _prepare(self, spec: RunSpec) -> tuple[Path, Path, list[str], dict[str, str]]:
        self.specs.append(spec)
        base = self.root / f"run{len(self.specs)}"
        work, tmp = base / "work", base / "tmp"
        for directory in (work, tmp, *(work / d for d in spec.writable_dirs)):
            directory.mkdir(parents=True, exist_ok=True)
        self.workspaces.append(work)
        to_host = _mapper(work, tmp)
        for rel, (content, mode) in spec.files_in.items():
            path = work / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            # The grader's files name sandbox paths; the candidate's are left byte-for-byte.
            data = content if rel.startswith("src/") else to_host(content.decode()).encode()
            path.write_bytes(data)
            path.chmod(mode)
        argv = [_tool(a) if a.startswith(_TOOLS) else to_host(a) for a in spec.argv]
        env = {k: to_host(v) for k, v in spec.env.items()}
        env["PATH"] = f"{_VENV_BIN}:/usr/bin:/bin"
        return work, tmp, argv, env


class HostService:
    """A background process started by `HostSandbox.start_service`."""

    network = "host"

    def __init__(self, process: subprocess.Popen[bytes], back: Callable[[bytes], bytes]) -> None:
        self._process = process
        self._back = back
        self._started = time.monotonic()

    def running(self) -> bool:
        """Whether the process has not exited."""
        return self._process.poll() is None

    def stop(self) -> Execution:
        """Terminate it (exit code -1 when it was still running, as in the Docker sandbox)."""
        alive = self.running()
        self._process.terminate()
        out, err = self._process.communicate(timeout=10)
        return Execution(
            exit_code=-1 if alive else self._process.returncode,
            stdout=self._back(out),
            stderr=self._back(err),
            wall_seconds=time.monotonic() - self._started,
        )


def _tool(arg: str) -> str:
    name = arg.removeprefix(_TOOLS)
    return sys.executable if name == "python" else str(_VENV_BIN / name)


def _mapper(work: Path, tmp: Path) -> Callable[[str], str]:
    def to_host(text: str) -> str:
        return _SANDBOX_PATH.sub(lambda m: str(work if m[1] == "work" else tmp), text)

    return to_host


def _unmapper(work: Path, tmp: Path) -> Callable[[bytes], bytes]:
    def back(data: bytes) -> bytes:
        return data.replace(str(work).encode(), b"/work").replace(str(tmp).encode(), b"/tmp")

    return back


def _collect(work: Path, wanted: tuple[str, ...]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for rel in wanted:
        path = work / rel
        if path.is_file() and not path.is_symlink():
            found[rel] = path.read_bytes()
        elif path.is_dir():
            for sub in sorted(path.rglob("*")):
                if sub.is_file() and not sub.is_symlink():
                    found[sub.relative_to(work).as_posix()] = sub.read_bytes()
    return found
