"""Coverage driver, run INSIDE the sandbox as `/work/grader/coverage/run.py` (stdlib only).

The coverage grader ships this file's bytes; it is trusted code. Usage:
`run.py <seconds> [test paths...]`. It runs the candidate's tests under coverage with the grader's
rcfile, stops them (SIGTERM, then SIGKILL) after `<seconds>`, then writes the JSON report with
`python -I` (no PYTHONPATH, so a candidate `sitecustomize.py` cannot load in the report step) and
records each sub-step's exit code in `/work/out/coverage-meta.json`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys

__all__ = ["main"]

RCFILE = "/work/grader/coverage/coveragerc"
# In the container's private scratch tmpfs (HOME), out of the copied-back outputs.
DATA_FILE = os.path.join(os.environ.get("HOME", "/work/out"), ".coverage")
SRC = "/work/src"
OUT = "/work/out"
_GRACE_SECONDS = 10.0


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _run_tests(env: dict[str, str], paths: list[str], seconds: float) -> dict[str, object]:
    argv = [sys.executable, "-m", "coverage", "run", f"--rcfile={RCFILE}"]
    argv += [f"--data-file={DATA_FILE}", "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    argv += [f"--junitxml={OUT}/candidate-junit.xml", *paths]
    # A session of its own, so the whole process group can be stopped.
    proc = subprocess.Popen(  # nosec B603 - fixed argv, no shell
        argv, cwd=SRC, env=env, stdin=subprocess.DEVNULL, start_new_session=True
    )
    meta: dict[str, object] = {"tests_timed_out": False}
    try:
        meta["tests_exit"] = proc.wait(seconds)
    except subprocess.TimeoutExpired:
        meta["tests_timed_out"] = True
        # coverage saves its data on SIGTERM ([run] sigterm = true in the rcfile).
        _kill_group(proc.pid, signal.SIGTERM)
        try:
            meta["tests_exit"] = proc.wait(_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid, signal.SIGKILL)
            meta["tests_exit"] = proc.wait()
    # Leftover children must not touch the data file while the report is written.
    _kill_group(proc.pid, signal.SIGKILL)
    return meta


def main(args: list[str]) -> int:
    """Run the tests, then the report; always write the meta file. Returns 0."""
    seconds, paths = float(args[0]), args[1:]
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    env["PYTHONPATH"] = SRC
    meta = _run_tests(env, paths, seconds)
    report = [sys.executable, "-I", "-m", "coverage", "json", f"--rcfile={RCFILE}"]
    report += [f"--data-file={DATA_FILE}", "-o", f"{OUT}/coverage.json"]
    done = subprocess.run(  # nosec B603 - fixed argv, no shell
        report, cwd=SRC, env=env, stdin=subprocess.DEVNULL, check=False
    )
    meta["report_exit"] = done.returncode
    with open(f"{OUT}/coverage-meta.json", "w", encoding="utf-8") as handle:
        json.dump(meta, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
