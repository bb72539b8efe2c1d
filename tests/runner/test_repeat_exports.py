"""A repeated grading's tests in the exports: JUnit notes each run in `<system-out>` and stays
valid against junit-10.xsd; Gradescope says how many runs passed (never a message) and tags a
flaky test; SARIF still names no hidden test, not even in a flaky verdict."""

from __future__ import annotations

import json
from pathlib import Path

import xmlschema
from defusedxml.ElementTree import fromstring as parse_xml

from graders.model import CategoryResult, Report, TestCase, TestOutcome, Verdict, VerdictKind
from runner.gradescope import report_gradescope
from runner.junit import report_junit
from runner.sarif import report_sarif

JUNIT_XSD = Path(__file__).resolve().parents[1] / "fixtures" / "schemas" / "junit-10.xsd"
P, F = TestOutcome.PASSED, TestOutcome.FAILED
FLAKY = "tests/test_a.py::test_secret_flaky_name"


def _report(*, repeated: bool = True) -> Report:
    runs = (P, F, P) if repeated else ()
    tests = CategoryResult(
        name="tests",
        score=50,
        summary="1/2",
        tests=(
            TestCase(id="tests/test_a.py::test_ok", outcome=P, runs=(P, P, P) if repeated else ()),
            TestCase(id=FLAKY, outcome=F, message="flaky (...): HIDDEN-MESSAGE", runs=runs),
        ),
        verdicts=(Verdict(kind=VerdictKind.FLAKY_TEST, step="tests.hidden", detail=FLAKY),),
    )
    return Report(score=50, categories={"tests": tests})


def test_junit_notes_the_runs_and_stays_valid() -> None:
    text = report_junit(_report())
    xmlschema.XMLSchema(JUNIT_XSD).validate(text)
    root = parse_xml(text)
    notes = {c.get("name"): c.findtext("system-out") for c in root.iter("testcase")}
    assert notes == {
        "test_ok": "3 runs: passed, passed, passed",
        "test_secret_flaky_name": "flaky: 3 runs: passed, failed, passed",
    }
    flaky = root.find("./testsuite/testcase[@name='test_secret_flaky_name']")
    assert flaky is not None
    assert [child.tag for child in flaky] == ["failure", "system-out"]


def test_junit_of_one_run_has_no_notes() -> None:
    text = report_junit(_report(repeated=False))
    assert "system-out" not in text
    assert '<testcase classname="tests.test_a" name="test_ok" time="0.000"/>' in text


def test_gradescope_counts_passed_runs_and_tags_the_flaky_test() -> None:
    entries = report_gradescope(_report(), "visible_tests")["tests"]
    assert [(e["output"], e["tags"], e["score"]) for e in entries[:2]] == [
        ("passed (passed 3/3 runs)", ["hidden-test", "passed"], 1.0),
        ("failed (flaky: passed 2/3 runs)", ["hidden-test", "failed", "flaky"], 0.0),
    ]
    single = report_gradescope(_report(repeated=False), "visible_tests")["tests"]
    assert [e["output"] for e in single[:2]] == ["passed", "failed"]


def test_sarif_names_no_hidden_test_of_a_repeated_grading() -> None:
    text = json.dumps(report_sarif(_report()))
    assert "test_secret_flaky_name" not in text
    assert "HIDDEN-MESSAGE" not in text
    assert "flaky_test" in text  # the verdict's kind only
