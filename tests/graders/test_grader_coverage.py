"""The coverage grader: real `coverage` runs through the shipped driver, and bad outputs."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from graders.base import GradingInput
from graders.coverage import CoverageGrader
from graders.model import CategoryResult, Severity, VerdictKind
from sandbox import Execution, Limits, Sandbox

Repo = Callable[[str], dict[str, bytes]]
STEP = "coverage.candidate"


def _run(sandbox: Sandbox, sources: dict[str, bytes]) -> CategoryResult:
    grader = CoverageGrader()
    inp = GradingInput("r", "img", sources)
    return grader.grade(inp, {s.label: sandbox.run(s) for s in grader.steps(inp)})


@pytest.mark.slow
def test_candidate_config_and_pragmas_change_nothing(host_sandbox: Sandbox, repo: Repo) -> None:
    # The repo's .coveragerc omits everything and excludes `def`/`return`/`if` lines; setup.cfg
    # and pyproject.toml try the same; calc/ops.py marks an untested function `# pragma: no
    # cover` and a half-taken `if` `# pragma: no branch`; lib/ (no __init__.py) is never imported.
    result = _run(host_sandbox, repo("coverage/repo"))

    # 15 statements (13 in calc/ops.py, 2 in lib/extra.py), 10 run; 4 branches, 2 taken.
    assert result.score == pytest.approx(100 * 12 / 19)
    assert result.metrics["num_statements"] == 15.0
    assert result.metrics["covered_lines"] == 10.0
    assert result.metrics["num_branches"] == 4.0
    assert result.metrics["covered_branches"] == 2.0
    assert [(f.rule, f.file, f.line, f.severity) for f in result.findings] == [
        ("candidate-tests-failing", None, None, Severity.INFO),
        ("low-coverage", "lib/extra.py", 1, Severity.LOW),
    ]
    assert result.findings[0].message == (
        "1 of 4 candidate tests failed or errored (3 passed, 0 skipped)"
    )
    assert result.findings[1].message == "0.0% covered; missing lines 1-2"
    assert result.tool == "coverage 7.17.3"
    assert result.verdicts == ()


@pytest.mark.slow
def test_no_candidate_tests(host_sandbox: Sandbox, repo: Repo) -> None:
    result = _run(host_sandbox, repo("coverage/notests"))
    assert result.score == 0.0
    assert [f.rule for f in result.findings] == ["no-tests"]


@pytest.mark.slow
def test_low_coverage_ranges(host_sandbox: Sandbox) -> None:
    sources = {
        "mod.py": b"def a():\n    return 1\n\n\ndef b():\n    x = 2\n    y = 3\n    return x + y\n"
        b"\n\ndef c():\n    z = 4\n    return z\n",
        "tests/test_mod.py": b"from mod import a\n\n\ndef test_a():\n    assert a() == 1\n",
    }
    result = _run(host_sandbox, sources)
    assert result.score == pytest.approx(100 * 4 / 9)
    assert [(f.rule, f.file, f.line, f.message) for f in result.findings] == [
        ("low-coverage", "mod.py", 6, "44.4% covered; missing lines 6-8, 12-13"),
    ]


def _grade(files: dict[str, bytes], *, timed_out: bool = False) -> CategoryResult:
    execution = Execution(0, b"", b"", 1.0, files_out=files, timed_out=timed_out)
    return CoverageGrader().grade(GradingInput("r", "img", {}), {STEP: execution})


@pytest.mark.parametrize(
    ("report", "kind"),
    [
        (None, VerdictKind.NO_RESULTS),
        (b"\x00\xff", VerdictKind.TOOL_ERROR),
        (b'{"totals": {"num_statements": "many"}}', VerdictKind.TOOL_ERROR),
        (b'{"totals": {"num_statements": 3, "percent_covered": NaN}}', VerdictKind.TOOL_ERROR),
        (b"[1, 2]", VerdictKind.TOOL_ERROR),
    ],
)
def test_bad_report(report: bytes | None, kind: VerdictKind) -> None:
    files = {} if report is None else {"out/coverage.json": report}
    result = _grade(files, timed_out=True)
    assert result.score == 0.0
    assert [v.kind for v in result.verdicts] == [VerdictKind.TIMED_OUT, kind]


def test_driver_timeout_is_a_verdict_but_the_report_counts() -> None:
    totals = {"num_statements": 4, "percent_covered": 75.0, "num_branches": 0}
    report = {"meta": {"version": "7.17.3"}, "totals": totals, "files": {}}
    meta = {"tests_timed_out": True, "tests_exit": -15, "report_exit": 0}
    files = {
        "out/coverage.json": json.dumps(report).encode(),
        "out/coverage-meta.json": json.dumps(meta).encode(),
    }
    result = _grade(files)
    assert result.score == 75.0
    assert [(v.kind, v.step) for v in result.verdicts] == [(VerdictKind.TIMED_OUT, STEP)]


def test_no_measurable_code_scores_zero() -> None:
    report = {"totals": {"num_statements": 0, "num_branches": 0, "percent_covered": 100.0}}
    result = _grade({"out/coverage.json": json.dumps(report).encode()})
    assert result.score == 0.0
    assert [f.rule for f in result.findings] == ["no-code"]


def test_steps_layout() -> None:
    inp = GradingInput("run-1", "img", {"m.py": b"x"}, options={"test_paths": ["tests"]})
    (spec,) = CoverageGrader().steps(inp)
    assert spec.argv == ("/opt/takehome/bin/python", "/work/grader/coverage/run.py", "45", "tests")
    assert spec.workdir == "/work/src"
    assert set(spec.files_in) == {
        "src/m.py",
        "grader/coverage/run.py",
        "grader/coverage/coveragerc",
    }
    assert spec.files_out == (
        "out/coverage.json",
        "out/coverage-meta.json",
        "out/candidate-junit.xml",
    )


@pytest.mark.slow
def test_driver_stops_hanging_tests_and_still_reports(host_sandbox: Sandbox) -> None:
    # wall 35 s leaves the candidate's tests 20 s (pytest and coverage must start and reach
    # test_a within it, also on a loaded machine); coverage saves its data on the SIGTERM.
    sources = {
        "mod.py": b"def a():\n    return 1\n\n\ndef b():\n    return 2\n",
        "tests/test_mod.py": b"import time\n\nfrom mod import a\n\n\ndef test_a():\n"
        b"    assert a() == 1\n    time.sleep(60)\n",
    }
    grader = CoverageGrader()
    inp = GradingInput("r", "img", sources, limits=Limits(wall_seconds=35.0))
    result = grader.grade(inp, {s.label: host_sandbox.run(s) for s in grader.steps(inp)})
    assert [(v.kind, v.step) for v in result.verdicts] == [(VerdictKind.TIMED_OUT, STEP)]
    assert result.score == 75.0


def test_totals_count_only_production_files() -> None:
    # A test file coverage measured anyway (its name could not go into `omit`) is subtracted.
    sources = {"mod.py": b"", "tests/test_[mod].py": b"import mod\n"}
    mod = {"num_statements": 10, "covered_lines": 4, "num_branches": 2, "covered_branches": 0}
    test = {"num_statements": 20, "covered_lines": 20, "num_branches": 0, "covered_branches": 0}
    totals = {key: mod[key] + test[key] for key in mod} | {"percent_covered": 80.0}
    report = {
        "totals": totals,
        "files": {
            "mod.py": {"summary": {**mod, "percent_covered": 100 * 4 / 12}, "missing_lines": [5]},
            "tests/test_[mod].py": {"summary": {**test, "percent_covered": 100.0}},
        },
    }
    execution = Execution(
        0, b"", b"", 1.0, files_out={"out/coverage.json": json.dumps(report).encode()}
    )
    result = CoverageGrader().grade(GradingInput("r", "img", sources), {STEP: execution})
    assert result.score == pytest.approx(100 * 4 / 12)
    assert result.metrics["num_statements"] == 10.0
    assert result.metrics["percent_branches_covered"] == 0.0
    assert [(f.rule, f.file) for f in result.findings] == [("low-coverage", "mod.py")]


def test_rcfile_omits_the_tests_by_exact_path() -> None:
    sources = {
        "pkg/__init__.py": b"from pkg.tests import helpers\n",
        "pkg/tests/__init__.py": b"",
        "pkg/tests/helpers.py": b"",
        "pkg/tests/test_a.py": b"import pkg\n",
        "tests/test_$HOME.py": b"",
    }
    (spec,) = CoverageGrader().steps(GradingInput("r", "img", sources))
    rcfile = spec.files_in["grader/coverage/coveragerc"][0].decode()
    # The helper production code imports is measured; the odd name is left to `grade()`.
    assert "omit =\n    /work/src/pkg/tests/test_a.py\n\n[report]" in rcfile
    assert "helpers" not in rcfile
    assert "$HOME" not in rcfile
