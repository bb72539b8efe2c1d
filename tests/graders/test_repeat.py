"""Repeated hidden-test runs (`--repeat K`): the merge by worst run, the flaky verdicts, the step
layout, and a real flaky test run three times (HostSandbox)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graders._repeat import MAX_REPEAT, describe_runs, junit_path, merge_runs, run_label
from graders.base import GradingInput
from graders.model import CategoryResult, Report, TestCase, TestOutcome, VerdictKind
from graders.tests import TestsGrader
from sandbox import Execution, Sandbox

P, F, E, S, M = (
    TestOutcome.PASSED,
    TestOutcome.FAILED,
    TestOutcome.ERROR,
    TestOutcome.SKIPPED,
    TestOutcome.MISSING,
)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reports"
IDS = ("tests/test_x.py::test_stable", "tests/test_x.py::test_flaky")
_PASS = '<testcase classname="tests.test_x" name="{}" time="0.5"/>'
_FAIL = (
    '<testcase classname="tests.test_x" name="{}" time="0.25"><failure message="boom"/></testcase>'
)


def _junit(*cases: str) -> bytes:
    body = "".join(cases)
    return f'<?xml version="1.0"?><testsuites><testsuite>{body}</testsuite></testsuites>'.encode()


def _grade_runs(
    runs: list[bytes | None], points: dict[str, float] | None = None
) -> CategoryResult:
    """Grade hand-made reports, one per run (None: the run wrote no report)."""
    inp = GradingInput(
        "r",
        "img",
        {},
        expected_tests=IDS,
        test_points=points or {},
        canaries=False,
        repeat=len(runs),
    )
    executions = {
        run_label(i): Execution(1, b"", b"", 1.0, files_out={junit_path(i): data} if data else {})
        for i, data in enumerate(runs, start=1)
    }
    return TestsGrader().grade(inp, executions)


def test_merge_one_run_is_unchanged() -> None:
    summary = (F, 0.0, "boom", 1.5)
    assert merge_runs([summary]) == (summary, ())


def test_merge_takes_the_worst_run_and_names_the_flake() -> None:
    merged, outcomes = merge_runs([(P, 1.0, "", 0.5), (F, 0.0, "boom", 0.25), (P, 1.0, "", 0.5)])
    assert outcomes == (P, F, P)
    assert merged == (F, 0.0, "flaky (passed 2/3, failed 1/3), worst run 2: boom", 0.25)


def test_merge_ties_go_to_the_worse_outcome_then_the_earlier_run() -> None:
    # Skipped and failed both earn nothing: the failure is worse. Two failures: the first.
    merged, _ = merge_runs([(S, 0.0, "skip", 0.0), (F, 0.0, "one", 0.0), (F, 0.0, "two", 0.0)])
    assert merged[0] is F
    assert merged[2].endswith("worst run 2: one")
    merged, _ = merge_runs([(M, 0.0, "never reported", 0.0), (E, 0.0, "setup", 0.0)])
    assert merged[0] is M


def test_merge_of_stable_runs_keeps_the_message_and_the_least_credit() -> None:
    # Same outcome every run is not flaky; partial credit scores by the lowest run.
    merged, outcomes = merge_runs([(P, 0.75, "partial credit 0.75", 1.0), (P, 0.5, "p", 2.0)])
    assert outcomes == (P, P)
    assert merged == (P, 0.5, "p", 2.0)


def test_merge_needs_a_run() -> None:
    with pytest.raises(ValueError, match="at least one run"):
        merge_runs([])


def test_describe_runs_counts_each_outcome_most_frequent_first() -> None:
    assert describe_runs((P, F, P)) == "passed 2/3, failed 1/3"
    assert describe_runs((E, F)) == "failed 1/2, error 1/2"


def test_labels_and_paths_keep_run_one_as_a_single_run() -> None:
    assert (run_label(1), junit_path(1)) == ("tests.hidden", "out/junit.xml")
    assert (run_label(3), junit_path(3)) == ("tests.hidden.3", "out/junit-3.xml")
    assert MAX_REPEAT == 10


def test_flaky_test_is_scored_by_its_worst_run_with_a_verdict() -> None:
    ok = _junit(_PASS.format("test_stable"), _PASS.format("test_flaky"))
    bad = _junit(_PASS.format("test_stable"), _FAIL.format("test_flaky"))
    result = _grade_runs([ok, bad, ok], points={IDS[1]: 3.0})
    tests = {t.id: t for t in result.tests}
    assert tests[IDS[0]] == TestCase(id=IDS[0], outcome=P, seconds=0.5, runs=(P, P, P))
    assert tests[IDS[1]].outcome is F
    assert tests[IDS[1]].runs == (P, F, P)
    assert tests[IDS[1]].flaky
    assert not tests[IDS[0]].flaky
    assert result.score == pytest.approx(25.0)  # 1 of 4 points
    assert [(v.kind, v.step, v.detail) for v in result.verdicts] == [
        (
            VerdictKind.FLAKY_TEST,
            "tests.hidden",
            "tests/test_x.py::test_flaky: passed 2/3, failed 1/3 over 3 runs;"
            " scored by its worst run (failed)",
        )
    ]
    assert result.metrics["runs"] == 3.0
    assert result.metrics["flaky"] == 1.0
    assert result.summary == "1/2 hidden tests passed (1/4 points), worst of 3 runs; 1 flaky"
    assert [f.rule for f in result.findings] == [IDS[1]]
    assert result.findings[0].message.startswith("failed: flaky (passed 2/3, failed 1/3)")
    data = json.loads(result.model_dump_json())
    assert data["tests"][1]["runs"] == ["passed", "failed", "passed"]


def test_a_run_without_a_report_counts_its_tests_missing() -> None:
    ok = _junit(_PASS.format("test_stable"), _PASS.format("test_flaky"))
    result = _grade_runs([ok, None])
    assert {t.outcome for t in result.tests} == {M}
    assert {t.runs for t in result.tests} == {(P, M)}
    kinds = [v.kind for v in result.verdicts]
    assert kinds == [
        VerdictKind.NO_RESULTS,
        VerdictKind.TESTS_INCOMPLETE,
        VerdictKind.FLAKY_TEST,
        VerdictKind.FLAKY_TEST,
    ]
    assert result.verdicts[0].step == "tests.hidden.2"
    assert result.score == 0.0


def test_one_run_reports_exactly_as_before() -> None:
    # K=1: no `runs` in the JSON, no run metrics, the summary as it always was.
    result = _grade_runs([_junit(_PASS.format("test_stable"), _FAIL.format("test_flaky"))])
    data = json.loads(result.model_dump_json())
    assert all("runs" not in t for t in data["tests"])
    assert set(result.metrics) == {
        *(o.value for o in TestOutcome),
        "points_earned",
        "points_total",
    }
    assert result.summary == "1/2 hidden tests passed (1/2 points)"
    assert result.verdicts == ()


def test_stored_report_without_runs_reads_as_single_runs() -> None:
    report = Report.from_stored(
        {
            "schema_version": 2,
            "score": 50.0,
            "categories": {
                "tests": {
                    "name": "tests",
                    "score": 50.0,
                    "summary": "1/2",
                    "tests": [{"id": IDS[0], "outcome": "passed"}],
                }
            },
        }
    )
    case = report.categories["tests"].tests[0]
    assert case.runs == ()
    assert not case.flaky


def test_steps_of_a_repeated_run() -> None:
    grader = TestsGrader()
    inp = GradingInput("r", "img", {"a.py": b""}, hidden_tests={"test_a.py": b""}, repeat=3)
    specs = grader.steps(inp)
    assert [s.label for s in specs] == ["tests.hidden", "tests.hidden.2", "tests.hidden.3"]
    assert [s.files_out for s in specs] == [
        ("out/junit.xml",),
        ("out/junit-2.xml",),
        ("out/junit-3.xml",),
    ]
    assert [s.env["TAKEHOME_RUN"] for s in specs] == ["1", "2", "3"]
    assert [s.argv[s.argv.index("--junitxml") + 1] for s in specs][1] == "/work/out/junit-2.xml"
    assert all(not s.trusted for s in specs)  # unit mode: each run alone in a fresh container
    only = grader.steps(
        GradingInput(
            "r", "img", {}, repeat=3, only_run=2, service_network="container:x", service_url="u"
        )
    )
    assert [(s.label, s.trusted, s.env["TAKEHOME_RUN"]) for s in only] == [
        ("tests.hidden.2", True, "2")
    ]
    single = grader.steps(GradingInput("r", "img", {}, hidden_tests={"test_a.py": b""}))
    assert "TAKEHOME_RUN" not in single[0].env


_FLAKY_HIDDEN = b"""\
import os
from pathlib import Path

from calc import add


def test_stable():
    assert add(1, 2) == 3


def test_fails_on_run_two():
    assert os.environ.get("TAKEHOME_RUN", "1") != "2", "run two"


def test_no_state_from_an_earlier_run():
    marker = Path(os.environ["HOME"]) / "takehome-earlier-run"
    assert not marker.exists()
    marker.write_text("seen")
"""


def test_real_flaky_test_run_three_times(host_sandbox: Sandbox) -> None:
    inp = GradingInput(
        "flaky-run",
        "img",
        {"calc.py": b"def add(a, b):\n    return a + b\n"},
        hidden_tests={"test_flaky.py": _FLAKY_HIDDEN},
        repeat=3,
    )
    grader = TestsGrader()
    result = grader.grade(inp, {s.label: host_sandbox.run(s) for s in grader.steps(inp)})
    runs = {t.id.rsplit("::", 1)[1]: t.runs for t in result.tests}
    assert runs == {
        "test_stable": (P, P, P),
        "test_fails_on_run_two": (P, F, P),
        "test_no_state_from_an_earlier_run": (P, P, P),
    }
    flaky = [
        v.detail.split(": ", 1)[0] for v in result.verdicts if v.kind is VerdictKind.FLAKY_TEST
    ]
    assert flaky == ["tests/test_flaky.py::test_fails_on_run_two"]
    assert result.score == pytest.approx(200 / 3)


def test_the_v2_fixture_written_before_runs_reads_and_writes_back_unchanged() -> None:
    # `report-v2.json` is `Report.to_json()` of the v1 fixture by the code before `runs`
    # existed: read by this code, it has single runs and writes back byte for byte.
    stored = (FIXTURES / "report-v2.json").read_text()
    report = Report.from_stored(stored)
    assert report.categories["tests"].tests
    assert all(t.runs == () for t in report.categories["tests"].tests)
    assert report.to_json() == stored


def test_every_run_gets_a_seed_from_the_run_id() -> None:
    grader = TestsGrader()
    repeated = grader.steps(
        GradingInput("run-7", "img", {}, hidden_tests={"test_a.py": b""}, repeat=2)
    )
    assert [s.env["TAKEHOME_SEED"] for s in repeated] == ["run-7.1", "run-7.2"]
    single = grader.steps(GradingInput("run-8", "img", {}, hidden_tests={"test_a.py": b""}))
    assert single[0].env["TAKEHOME_SEED"] == "run-8.1"
    service = grader.steps(
        GradingInput("run-9", "img", {}, service_network="container:x", service_url="u")
    )
    assert service[0].env["TAKEHOME_SEED"] == "run-9.1"
