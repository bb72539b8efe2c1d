"""Exports: report JSON, JUnit XML, SARIF 2.1.0 and the per-challenge CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

from defusedxml.ElementTree import fromstring as parse_xml
from fastapi.testclient import TestClient

from api.exports import report_junit, report_sarif
from api.services import Services
from graders.model import CategoryResult, Finding, Report, Severity, TestCase, TestOutcome
from tests.fakeservice import FAILING_TEST, grade_all, reference_archive


def _report() -> Report:
    tests = CategoryResult(
        name="tests",
        score=50,
        summary="1 of 2",
        tests=(
            TestCase(id="tests/test_a.py::test_ok", outcome=TestOutcome.PASSED),
            TestCase(
                id="tests/test_a.py::test_bad", outcome=TestOutcome.FAILED, message="a < b & \x01"
            ),
            TestCase(id="tests/test_a.py::test_gone", outcome=TestOutcome.MISSING),
        ),
    )
    security = CategoryResult(
        name="security",
        score=75,
        summary="one finding",
        findings=(
            Finding(
                rule="B307",
                message="eval",
                severity=Severity.MEDIUM,
                file="calc/x.py",
                line=6,
                column=3,
            ),
            Finding(rule="note", message="no file"),
        ),
    )
    return Report(score=60, categories={"tests": tests, "security": security})


def test_junit_parses_and_counts() -> None:
    root = parse_xml(report_junit(_report()))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures")) == ("3", "2")
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == ["test_ok", "test_bad", "test_gone"]
    failure = cases[1].find("failure")
    assert failure is not None
    assert failure.text == "a < b & "


def test_sarif_shape() -> None:
    sarif = report_sarif(_report())
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert all("locations" in r for r in results)
    location = results[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "calc/x.py"
    assert location["region"] == {"startLine": 6, "startColumn": 3}
    assert results[0]["level"] == "warning"
    assert results[1]["locations"] == []
    rule_ids = {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rule_ids == {"security/B307", "security/note"}


def test_exports_over_http(
    client: TestClient,
    svc: Services,
    make_invite: Callable[..., str],
    reviewer_headers: dict[str, str],
) -> None:
    token = make_invite(who="=HYPERLINK(1)")
    sub = client.post(
        f"/i/{token}/submissions", files={"archive": ("a.tgz", reference_archive())}
    ).json()["id"]
    assert (
        client.get(f"/api/submissions/{sub}/report", headers=reviewer_headers).status_code == 404
    )
    grade_all(svc)
    base = f"/api/submissions/{sub}/report"
    report = client.get(base, headers=reviewer_headers).json()
    assert set(report) >= {"score", "categories", "verdicts", "provenance"}
    junit = parse_xml(client.get(f"{base}.junit.xml", headers=reviewer_headers).text)
    failed = [c for c in junit.iter("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == [FAILING_TEST.rpartition("::")[2]]
    sarif = json.loads(client.get(f"{base}.sarif", headers=reviewer_headers).text)
    assert sarif["version"] == "2.1.0"
    text = client.get("/api/challenges/calculator/submissions.csv", headers=reviewer_headers).text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:6] == ["submission", "candidate", "filename", "submitted_at", "state", "score"]
    assert rows[1][0] == sub
    assert rows[1][1] == "'=HYPERLINK(1)"  # no formula injection into spreadsheets
