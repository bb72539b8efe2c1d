"""The `Grader` interface, its input, and the paths every grader's steps use inside the sandbox.

A grader is a plugin with three duties: `steps()` says which commands to run in the sandbox (argv
lists only, never a shell string), `grade()` turns their `Execution`s into a `CategoryResult`, and
`check()` proves the grader works before it serves (it grades a tiny known fixture through a real
sandbox and checks the exact finding it must see).

Workspace layout inside every container (see `sandbox.WORKDIR`):

    /work/src      the candidate's files, owned by root, read-only to the sandbox user
    /work/grader   the grader's files (tool configs, hidden tests, driver scripts), read-only
    /work/out      the only writable directory; tools write their machine-readable output here
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from graders.model import CategoryResult
from sandbox import Execution, Limits, RunSpec, Sandbox

__all__ = [
    "GRADER_DIR",
    "OUT_DIR",
    "SRC_DIR",
    "TOOLS_PYTHON",
    "Grader",
    "GraderCheckFailed",
    "GradingInput",
]

SRC_DIR = "/work/src"
GRADER_DIR = "/work/grader"
OUT_DIR = "/work/out"
#: The interpreter of the tools virtualenv baked into every takehome image (sandbox/images.py).
TOOLS_PYTHON = "/opt/takehome/bin/python"


class GraderCheckFailed(Exception):
    """A grader's self-check did not see what it must see: the grader must not serve."""


@dataclass(frozen=True)
class GradingInput:
    """Everything a grader may know about one submission and its challenge.

    `sources` is the candidate snapshot (paths relative to the repository root, POSIX separators).
    `hidden_tests` are the challenge's hidden test files, relative to the challenge's `tests/`
    folder; they are placed at `/work/grader/tests/` and never shown to the candidate.
    `expected_tests` are the ids every hidden-test run must report (`tests/test_x.py::test_y`);
    an id that never reports counts as failed. `test_points` optionally weights those ids.
    """

    run_id: str
    image: str
    sources: Mapping[str, bytes]
    hidden_tests: Mapping[str, bytes] = field(default_factory=dict)
    expected_tests: tuple[str, ...] = ()
    test_points: Mapping[str, float] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    options: Mapping[str, str | int | float | bool | list[str]] = field(default_factory=dict)
    """Per-grader options from the challenge manifest (`[graders.<name>]`), already validated."""
    service_network: str | None = None
    """Service mode: the `Service.network` of the candidate's running app. The hidden tests are
    then probes: they run without the candidate's files, in a container that reaches the app at
    `service_url` and nothing else."""
    service_url: str = ""
    timed_probes: bool = False
    """Service mode whose probes measure time (not an isolated unit challenge's call server):
    their container gets a timed CPU share (`sandbox.TIMED_CPU_SHARES`), as the app's."""
    canaries: bool = True
    """In-process hidden-test runs get per-run canary tests and forgery checks
    (graders/_canary.py). Off only for tests of the JUnit mapping with hand-made reports."""
    repeat: int = 1
    """How many times the hidden tests run (`--repeat K`, 1 to `MAX_REPEAT`): each run is its own
    step in a fresh container, and `grade()` merges them by each test's worst run
    (graders/_repeat.py). The other graders are deterministic and run once."""
    only_run: int | None = None
    """Plan only this run (1-based) of the `repeat` in `steps()`, not all of them: service mode
    gives each run its own freshly started app (runner/pipeline.py)."""


class Grader(Protocol):
    """One signal of a report (tests, coverage, style, complexity, security)."""

    name: str

    def steps(self, inp: GradingInput) -> list[RunSpec]:
        """The sandbox commands this grader needs; each spec's `label` is unique in the run."""
        ...

    def grade(self, inp: GradingInput, executions: Mapping[str, Execution]) -> CategoryResult:
        """Interpret the executions (keyed by spec label) as a category result. Never raises on
        bad candidate output: a missing or unreadable result is a verdict and a low score."""
        ...

    def check(self, sandbox: Sandbox, image: str) -> None:
        """Grade a built-in fixture through `sandbox`; raise `GraderCheckFailed` if it is wrong."""
        ...
