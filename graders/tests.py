"""The hidden-tests grader: runs the challenge's hidden tests against the candidate's code.

pytest runs in isolated mode (`python -I`) with a grader-written ini (`-c`) that adds the
candidate's code to `sys.path`, rootdir and confcutdir pinned to `/work/grader`, and plugin
autoload off, so the candidate's `conftest.py`, `pytest.ini`, `pyproject.toml`, `setup.cfg`
and `tox.ini` (all under `/work/src`) have no effect. The JUnit XML is mapped back to the expected
test ids; an expected id that never reports counts as failed.

Three ways to run, by `GradingInput`:

- in-process (unit mode, `service_network` None): the candidate's code is imported into the
  pytest process, so results are only tamper-*evident*: per-run canary tests and consistency
  checks (`graders._canary`) turn a forged report into a `forgery_detected` verdict and a 0;
- isolated (unit mode with `[tests] isolation = "isolated"`): pytest runs in a trusted
  container without the candidate's files and calls the candidate's code through the call
  server of `graders/takehome_oracle.py` at `service_url`; only plain data comes back;
- service mode: the hidden tests are probes against the candidate's app at `service_url`.

Both containers get `takehome_oracle.py` on `sys.path` (`/work/grader/lib`, ahead of the
candidate's code), so hidden tests written as `calc = candidate("calc")` run in every mode.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from graders import _canary, _junit, _repeat
from graders._steps import (
    READ_ONLY,
    ToolOutputError,
    flag_verdicts,
    make_spec,
    output_file,
    parse_xml,
    require,
    run_check,
)
from graders.base import GRADER_DIR, SRC_DIR, TOOLS_PYTHON, GradingInput
from graders.caps import cap_findings
from graders.model import CategoryResult, Finding, Severity, TestCase, TestOutcome, Verdict
from graders.model import VerdictKind as Kind
from sandbox import TIMED_CPU_SHARES, WORKDIR, Execution, RunSpec, Sandbox
from sandbox.pins import tool_label

__all__ = [
    "ORACLE_FILE",
    "ORACLE_SOURCE",
    "STEP",
    "TestsGrader",
    "discover_test_ids",
    "seed_for",
]

STEP = _repeat.run_label(1)
# `pythonpath` (not PYTHONPATH) puts the candidate's code on sys.path only once pytest itself is
# imported and configured, and `-I` keeps PYTHONPATH, the user site and a candidate
# `sitecustomize.py` out of the interpreter: a candidate `pytest/` package cannot shadow pytest.
_LIB = f"{GRADER_DIR}/lib"
_TESTS_INI = f"[pytest]\njunit_family = xunit2\npythonpath = {_LIB} {SRC_DIR}\n".encode()
_PROBES_INI = f"[pytest]\njunit_family = xunit2\npythonpath = {_LIB}\n".encode()
#: The oracle library and call server, as shipped into the workspace (`grader/lib/`).
ORACLE_FILE = "grader/lib/takehome_oracle.py"
ORACLE_SOURCE = (Path(__file__).parent / "takehome_oracle.py").read_bytes()


def seed_for(run_id: str, run: int) -> str:
    """The `TAKEHOME_SEED` of one hidden-test run: the grading's run id (in the report's
    provenance) and the run's number, so data a challenge generates from it can be regenerated."""
    return f"{run_id}.{run}"


def discover_test_ids(files: Mapping[str, bytes]) -> tuple[str, ...]:
    """The test ids pytest would collect from hidden test files, found statically with `ast`.

    `files` are relative to the hidden tests root; ids are prefixed with `tests/`. Collected:
    module-level `test_*` functions and `test_*` methods of `Test*` classes without `__init__`
    (nested classes too). Raises `ValueError` naming a test file that does not parse.
    """
    ids: list[str] = []
    for path in sorted(files):
        base = path.rsplit("/", 1)[-1]
        is_test_file = base.startswith("test_") or base.endswith("_test.py")
        if not (base.endswith(".py") and is_test_file):
            continue
        try:
            tree = ast.parse(files[path], filename=path)
        except (SyntaxError, ValueError) as exc:
            raise ValueError(f"hidden test file {path} does not parse: {exc}") from None
        ids.extend(_collect(tree.body, f"tests/{path}"))
    return tuple(ids)


def _collect(body: list[ast.stmt], prefix: str) -> list[str]:
    ids: list[str] = []
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            ids.append(f"{prefix}::{node.name}")
        # pytest refuses to collect a class with its own __init__.
        elif (
            isinstance(node, ast.ClassDef)
            and node.name.startswith("Test")
            and not any(isinstance(n, ast.FunctionDef) and n.name == "__init__" for n in node.body)
        ):
            ids.extend(_collect(node.body, f"{prefix}::{node.name}"))
    return ids


@dataclass(frozen=True)
class _Score:
    tests: tuple[TestCase, ...]
    earned: float
    total: float


class TestsGrader:
    """Grades the candidate by the share of hidden-test points earned (0-100)."""

    __test__ = False
    name = "tests"

    def steps(self, inp: GradingInput) -> list[RunSpec]:
        """One pytest run of the hidden tests per run of `inp.repeat` (or just `inp.only_run`),
        each writing JUnit XML (`out/junit.xml` for run 1; see graders/_repeat.py).

        Unit mode: against the candidate's code, in its container. Service mode: the hidden
        tests are probes; they get no candidate file and reach the app only at `APP_URL`.
        """
        runs = [inp.only_run] if inp.only_run else range(1, inp.repeat + 1)
        return [self._run_spec(inp, run) for run in runs]

    def _run_spec(self, inp: GradingInput, run: int) -> RunSpec:
        label, junit = _repeat.run_label(run), _repeat.junit_path(run)
        files = {
            "grader/tests.ini": (_TESTS_INI, READ_ONLY),
            ORACLE_FILE: (ORACLE_SOURCE, READ_ONLY),
        }
        files.update({f"grader/tests/{p}": (c, READ_ONLY) for p, c in inp.hidden_tests.items()})
        argv = (
            *(TOOLS_PYTHON, "-I", "-m", "pytest", "-c", f"{GRADER_DIR}/tests.ini"),
            *("--rootdir", GRADER_DIR, "-p", "no:cacheprovider", "--confcutdir", GRADER_DIR),
            *("-o", "addopts=", "--junitxml", f"{WORKDIR}/{junit}", "-q", f"{GRADER_DIR}/tests"),
        )
        env = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "TAKEHOME_SEED": seed_for(inp.run_id, run)}
        if inp.repeat > 1:
            env["TAKEHOME_RUN"] = str(run)
        if inp.service_network is None:
            if inp.canaries:
                canary = _canary.canary_for(inp.run_id)
                files[f"grader/tests/{canary.path}"] = (canary.source, READ_ONLY)
            return make_spec(inp, label, argv, files_in=files, files_out=(junit,), env=env)
        files["grader/tests.ini"] = (_PROBES_INI, READ_ONLY)
        urls = {"APP_URL": inp.service_url, "TAKEHOME_ORACLE_URL": inp.service_url}
        spec = make_spec(inp, label, argv, files_in=files, files_out=(junit,), env={**env, **urls})
        without_sources = {k: v for k, v in spec.files_in.items() if not k.startswith("src/")}
        # Probes run only the hidden tests (no candidate file): trusted, so the app's readiness
        # check can share their container. Load probes measure time: a timed share of the CPUs.
        shares = TIMED_CPU_SHARES if inp.timed_probes else spec.limits.cpu_shares
        return dataclasses.replace(
            spec,
            files_in=without_sources,
            network=inp.service_network,
            trusted=True,
            limits=dataclasses.replace(spec.limits, cpu_shares=shares),
        )

    def grade(self, inp: GradingInput, executions: Mapping[str, Execution]) -> CategoryResult:
        """Map the JUnit report onto the expected ids; never raises on a bad report."""
        try:
            expected = inp.expected_tests or discover_test_ids(inp.hidden_tests)
        except ValueError as exc:
            verdict = Verdict(kind=Kind.TOOL_ERROR, step=STEP, detail=str(exc))
            return _result(_Score((), 0.0, 0.0), [], [verdict])
        runs = [_read_run(inp, expected, executions, run) for run in range(1, inp.repeat + 1)]
        verdicts = _run_verdicts(runs)
        findings = _unmatched(runs)
        if not expected:
            verdicts.extend(_nothing_expected(verdicts))
            return _result(_Score((), 0.0, 0.0), findings, verdicts)
        score = _score(expected, [r.matched for r in runs], inp.test_points)
        findings[:0] = [_finding(t) for t in score.tests if t.outcome in _REPORTED_FAILURES]
        verdicts.extend(_incomplete(score, len(expected)))
        verdicts.extend(_flaky(score, inp.repeat))
        score = _unless_forged(score, runs, verdicts)
        return _result(score, findings, verdicts, inp.repeat)

    def check(self, sandbox: Sandbox, image: str) -> None:
        """One passing and one failing hidden test must come back as exactly that."""
        inp = GradingInput(
            run_id="check-tests",
            image=image,
            sources={"calc.py": b"def add(a, b):\n    return a + b\n"},
            hidden_tests={"test_calc.py": _CHECK_TESTS},
        )
        result = run_check(self, sandbox, inp)
        want = {"tests/test_calc.py::test_ok": "passed", "tests/test_calc.py::test_bad": "failed"}
        require(
            result,
            lambda r: {t.id: t.outcome.value for t in r.tests} == want and r.score == 50.0,
            f"outcomes {want} and score 50",
        )


_CHECK_TESTS = (
    b"from calc import add\n\n\ndef test_ok():\n    assert add(1, 2) == 3\n\n\n"
    b"def test_bad():\n    assert add(1, 2) == 4\n"
)
_REPORTED_FAILURES = (TestOutcome.FAILED, TestOutcome.ERROR)


@dataclass(frozen=True)
class _Run:
    """One hidden-test run as read: its verdicts, its cases by expected id, the cases no id
    claims, and the forgery signs its canaries found."""

    verdicts: list[Verdict]
    matched: Mapping[str, list[_junit.Case]]
    unmatched: list[_junit.Case]
    forged: list[str]


def _read_run(
    inp: GradingInput, expected: tuple[str, ...], executions: Mapping[str, Execution], run: int
) -> _Run:
    label = _repeat.run_label(run)
    verdicts, cases = _read(executions, label, _repeat.junit_path(run))
    forged, cases = _check_canaries(inp, executions.get(label), cases)
    if inp.service_network is None:
        # In-process: candidate code shared the pytest process and could write any property.
        # A probe's detail is shown to reviewers as evidence, so only probes may give one.
        cases = [dataclasses.replace(case, detail="") for case in cases]
    matched, unmatched = _junit.match(expected, cases)
    return _Run(verdicts, matched, unmatched, forged)


def _read(
    executions: Mapping[str, Execution], label: str, junit: str
) -> tuple[list[Verdict], list[_junit.Case]]:
    execution = executions.get(label)
    verdicts = flag_verdicts(label, execution) if execution else []
    try:
        cases = _junit.read_cases(parse_xml(output_file(executions, label, junit), junit))
    except ToolOutputError as exc:
        verdicts.append(Verdict(kind=exc.kind, step=label, detail=str(exc)))
        cases = []
    return verdicts, cases


def _run_verdicts(runs: list[_Run]) -> list[Verdict]:
    return [v for r in runs for v in r.verdicts]


def _unless_forged(score: _Score, runs: list[_Run], verdicts: list[Verdict]) -> _Score:
    """The score, or 0 earned with a `forgery_detected` verdict if any run's canaries say so."""
    forged = [sign for r in runs for sign in r.forged]
    if not forged:
        return score
    detail = "; ".join(forged) + ": the reported results are not trusted, tests score 0"
    verdicts.append(Verdict(kind=Kind.FORGERY_DETECTED, step=STEP, detail=detail))
    return dataclasses.replace(score, earned=0.0)


def _unmatched(runs: list[_Run]) -> list[Finding]:
    """The findings about cases no expected id claims, each once over the runs."""
    seen: dict[tuple[str, str], Finding] = {}
    for run in runs:
        for finding in _junit.unmatched_findings(run.unmatched):
            seen.setdefault((finding.rule, finding.message), finding)
    return list(seen.values())


def _check_canaries(
    inp: GradingInput, execution: Execution | None, cases: list[_junit.Case]
) -> tuple[list[str], list[_junit.Case]]:
    """Forgery signs of an in-process run with canaries, and the cases without the canaries.

    Any other run has no signs and keeps its cases as reported.
    """
    if not inp.canaries or inp.service_network is not None:
        return [], cases
    canary = _canary.canary_for(inp.run_id)
    forged = _canary.forgery_signs(canary, cases, _exit_code(execution))
    return forged, [c for c in cases if c.classname != canary.classname]


def _exit_code(execution: Execution | None) -> int | None:
    """pytest's exit code, or None if the step did not run or was killed at a limit."""
    if execution is None or execution.timed_out or execution.oom_killed:
        return None
    return execution.exit_code


def _nothing_expected(verdicts: list[Verdict]) -> list[Verdict]:
    """A `no_results` verdict for a challenge expecting no tests, unless one already says why."""
    if any(v.kind in (Kind.NO_RESULTS, Kind.TOOL_ERROR) for v in verdicts):
        return []
    detail = "the challenge expects no tests and the run reported none it expected"
    return [Verdict(kind=Kind.NO_RESULTS, step=STEP, detail=detail)]


def _incomplete(score: _Score, expected: int) -> list[Verdict]:
    """A `tests_incomplete` verdict if any of the `expected` tests never reported."""
    missing = sum(t.outcome is TestOutcome.MISSING for t in score.tests)
    if not missing:
        return []
    detail = f"{missing} of {expected} expected tests never reported"
    return [Verdict(kind=Kind.TESTS_INCOMPLETE, step=STEP, detail=detail)]


def _score(
    expected: tuple[str, ...],
    runs: list[Mapping[str, list[_junit.Case]]],
    points: Mapping[str, float],
) -> _Score:
    """Each expected test scored by its worst run (`graders._repeat.merge_runs`)."""
    tests: list[TestCase] = []
    earned = total = 0.0
    for test_id in expected:
        weight = max(0.0, points.get(test_id, 1.0))
        merged, outcomes = _repeat.merge_runs([_junit.summarise(m.get(test_id, [])) for m in runs])
        outcome, fraction, message, seconds = merged
        tests.append(
            TestCase(
                id=test_id,
                outcome=outcome,
                points=weight,
                message=message,
                seconds=seconds,
                runs=outcomes,
            )
        )
        earned += weight * fraction
        total += weight
    return _Score(tuple(tests), earned, total)


def _flaky(score: _Score, repeat: int) -> list[Verdict]:
    """A `flaky_test` verdict naming each test whose runs disagreed."""
    return [
        Verdict(
            kind=Kind.FLAKY_TEST,
            step=STEP,
            detail=f"{t.id}: {_repeat.describe_runs(t.runs)} over {repeat} runs;"
            f" scored by its worst run ({t.outcome.value})",
        )
        for t in score.tests
        if t.flaky
    ]


def _finding(test: TestCase) -> Finding:
    first_line = test.message.strip().split("\n", 1)[0] if test.message.strip() else ""
    return Finding(
        rule=test.id,
        message=f"{test.outcome.value}: {first_line}" if first_line else test.outcome.value,
        severity=Severity.MEDIUM,
    )


def _result(
    score: _Score, findings: list[Finding], verdicts: list[Verdict], repeat: int = 1
) -> CategoryResult:
    tests = score.tests
    counts = {o.value: float(sum(t.outcome is o for t in tests)) for o in TestOutcome}
    value = 100.0 * score.earned / score.total if score.total > 0 else 0.0
    passed = int(counts["passed"])
    summary = (
        f"{passed}/{len(tests)} hidden tests passed ({score.earned:g}/{score.total:g} points)"
    )
    metrics = {**counts, "points_earned": score.earned, "points_total": score.total}
    if repeat > 1:
        flaky = sum(t.flaky for t in tests)
        summary += f", worst of {repeat} runs; {flaky} flaky"
        metrics.update(runs=float(repeat), flaky=float(flaky))
    return CategoryResult(
        name="tests",
        score=max(0.0, min(100.0, value)),
        summary=summary,
        findings=cap_findings(findings),
        verdicts=tuple(verdicts),
        metrics=metrics,
        tests=tests,
        tool=tool_label("pytest"),
    )
