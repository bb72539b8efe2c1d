"""Finding caps for all five graders, and the size limit of a stored report (graders/caps.py).

The attack (issue 15, H4): a candidate's background process rewrites `coverage.json` after their
tests end, listing 200,000 files at 0%; each became a finding and the report 74.5 MB. Here the
same forgery, 20,000 entries, and the same flood through every other grader's tool output.
"""

from __future__ import annotations

import json

import pytest

from graders.base import GradingInput
from graders.caps import MAX_FINDINGS, TRUNCATED_RULE, cap_findings, fit_report, more_findings
from graders.complexity import CC_STEP, MI_STEP, ComplexityGrader
from graders.coverage import STEP as COVERAGE_STEP
from graders.coverage import CoverageGrader
from graders.model import (
    CategoryResult,
    Finding,
    Report,
    TestCase,
    TestOutcome,
    VerdictKind,
)
from graders.security import STEP as SECURITY_STEP
from graders.security import SecurityGrader
from graders.style import STEP as STYLE_STEP
from graders.style import StyleGrader
from graders.tests import STEP as TESTS_STEP
from graders.tests import TestsGrader
from sandbox import Execution

_FLOOD = 20_000


def _run(name: str, data: bytes, code: int = 0) -> Execution:
    return Execution(code, b"", b"", 1.0, files_out={name: data})


def _assert_capped(result: CategoryResult, total: int) -> None:
    assert len(result.findings) == MAX_FINDINGS + 1
    note = result.findings[-1]
    assert note.rule == TRUNCATED_RULE
    assert note.message == f"{total - MAX_FINDINGS} more findings not listed"
    assert more_findings(result.findings) == total - MAX_FINDINGS
    assert all(f.rule != TRUNCATED_RULE for f in result.findings[:-1])


def test_forged_coverage_json_lists_at_most_the_cap() -> None:
    files = {
        f"/work/src/pkg/m{i}.py": {"summary": {"percent_covered": 0.0}, "missing_lines": [1, 2]}
        for i in range(_FLOOD)
    }
    forged = {
        "meta": {"version": "7.0"},
        "totals": {"num_statements": 2 * _FLOOD, "percent_covered": 0.0},
        "files": files,
    }
    executions = {COVERAGE_STEP: _run("out/coverage.json", json.dumps(forged).encode())}
    # The files are the submission's (coverage entries for files outside it are not counted).
    sources = {f"pkg/m{i}.py": b"x = 1\ny = 2\n" for i in range(_FLOOD)}
    result = CoverageGrader().grade(GradingInput("r", "img", sources), executions)
    _assert_capped(result, _FLOOD)
    assert result.score == 0.0
    assert {f.rule for f in result.findings[:-1]} == {"low-coverage"}


def test_style_flood_is_capped() -> None:
    items = [
        {
            "code": "E501",
            "message": "line too long",
            "filename": "/work/src/a.py",
            "location": {"row": i + 1, "column": 1},
        }
        for i in range(_FLOOD)
    ]
    executions = {STYLE_STEP: _run("out/ruff.json", json.dumps(items).encode(), 1)}
    result = StyleGrader().grade(GradingInput("r", "img", {"a.py": b"x = 1\n" * 10}), executions)
    _assert_capped(result, _FLOOD)
    assert result.metrics["violations"] == _FLOOD  # the score counts every finding


def test_security_flood_is_capped() -> None:
    results = [
        {
            "test_id": "B101",
            "issue_severity": "LOW",
            "issue_confidence": "HIGH",
            "issue_text": "assert used",
            "filename": "/work/src/a.py",
            "line_number": i + 1,
        }
        for i in range(_FLOOD)
    ]
    report = json.dumps({"results": results, "errors": []}).encode()
    executions = {SECURITY_STEP: _run("out/bandit.json", report, 1)}
    result = SecurityGrader().grade(GradingInput("r", "img", {}), executions)
    _assert_capped(result, _FLOOD)
    assert result.metrics["findings"] == _FLOOD


def test_complexity_flood_is_capped() -> None:
    blocks = [
        {"type": "function", "name": f"f{i}", "rank": "F", "lineno": i + 1, "complexity": 50}
        for i in range(_FLOOD)
    ]
    cc = json.dumps({"/work/src/a.py": blocks}).encode()
    mi = json.dumps({"/work/src/a.py": {"mi": 80.0, "rank": "A"}}).encode()
    executions = {
        CC_STEP: _run("out/radon-cc.json", cc),
        MI_STEP: _run("out/radon-mi.json", mi),
    }
    result = ComplexityGrader().grade(GradingInput("r", "img", {}), executions)
    _assert_capped(result, _FLOOD)
    assert result.metrics["blocks"] == _FLOOD


def test_tests_flood_is_capped() -> None:
    count = 2 * MAX_FINDINGS
    expected = tuple(f"tests/test_a.py::test_{i}" for i in range(count))
    cases = "".join(
        f'<testcase classname="tests.test_a" name="test_{i}"><failure message="no"/></testcase>'
        for i in range(count)
    )
    junit = f"<testsuites><testsuite>{cases}</testsuite></testsuites>".encode()
    inp = GradingInput("r", "img", {}, expected_tests=expected, canaries=False)
    result = TestsGrader().grade(inp, {TESTS_STEP: _run("out/junit.xml", junit, 1)})
    _assert_capped(result, count)
    assert len(result.tests) == count  # every hidden test's outcome is kept


def test_a_second_cap_keeps_the_count() -> None:
    findings = [Finding(rule="R", message=str(i)) for i in range(10)]
    once = cap_findings(findings, 6)
    twice = cap_findings(once, 2)
    assert [f.rule for f in twice] == ["R", "R", TRUNCATED_RULE]
    assert twice[-1].message == "8 more findings not listed"
    assert cap_findings(twice, 2) == twice


def _big_report(findings: int, message: str = "") -> Report:
    flood = tuple(
        Finding(rule="E501", message="x" * 200, file="a.py", line=i + 1) for i in range(findings)
    )
    tests = tuple(
        TestCase(id=f"tests/test_a.py::test_{i}", outcome=TestOutcome.FAILED, message=message)
        for i in range(50)
    )
    categories = {
        "tests": CategoryResult(name="tests", score=40.0, summary="s", tests=tests),
        "style": CategoryResult(name="style", score=10.0, summary="s", findings=flood),
    }
    return Report(score=25.0, categories=categories, logs={"app": "y" * 50_000})


def test_a_report_within_the_limit_is_unchanged() -> None:
    report = _big_report(10)
    assert fit_report(report, 1024 * 1024) is report


def test_a_report_over_the_limit_is_trimmed_with_a_verdict() -> None:
    report = _big_report(MAX_FINDINGS)
    limit = 100_000
    assert len(report.to_json().encode()) > limit
    fitted = fit_report(report, limit)
    assert len(fitted.to_json().encode()) <= limit
    style = fitted.categories["style"]
    listed = [f for f in style.findings if f.rule != TRUNCATED_RULE]
    assert 0 < len(listed) < MAX_FINDINGS
    assert len(listed) + more_findings(style.findings) == MAX_FINDINGS
    (verdict,) = fitted.verdicts
    assert verdict.kind is VerdictKind.REPORT_TRUNCATED
    assert "over the 100000-byte limit" in verdict.detail
    # Scores, test ids and outcomes are what they were; the report still reads back.
    assert fitted.score == report.score
    assert fitted.categories["tests"].tests == report.categories["tests"].tests
    assert Report.from_stored(fitted.to_json()) == fitted


def test_messages_and_logs_are_shortened_last() -> None:
    report = _big_report(MAX_FINDINGS, message="m" * 2000)
    fitted = fit_report(report, 60_000)
    assert len(fitted.to_json().encode()) <= 60_000
    assert more_findings(fitted.categories["style"].findings) == MAX_FINDINGS
    assert {len(t.message) for t in fitted.categories["tests"].tests} == {200}
    assert len(fitted.logs["app"]) == 4000
    assert "messages cut to 200 characters" in fitted.verdicts[-1].detail


@pytest.mark.parametrize("limit", [1, 10_000])
def test_an_unreachable_limit_still_gives_the_smallest_report(limit: int) -> None:
    fitted = fit_report(_big_report(MAX_FINDINGS, message="m" * 100), limit)
    assert fitted.verdicts[-1].kind is VerdictKind.REPORT_TRUNCATED
    assert {t.message for t in fitted.categories["tests"].tests} == {""}
    assert fitted.logs == {"app": ""}
