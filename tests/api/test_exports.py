"""Exports: report JSON, JUnit XML (checked against junit-10.xsd), SARIF 2.1.0 (shape here; the
multitool with GitHub's rules in tests/runner/test_sarif_multitool.py), Gradescope results and
the per-challenge CSV (OWASP ASVS V1.2.10)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
import xmlschema
from defusedxml.ElementTree import fromstring as parse_xml
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.exports import BOM, report_csv, report_junit, report_sarif
from api.services import Services
from api.views import SubmissionView
from graders.model import (
    CategoryResult,
    Finding,
    Report,
    Severity,
    TestCase,
    TestOutcome,
    Verdict,
    VerdictKind,
)
from runner.store import StoredReport
from tests.fakeservice import FAILING_TEST, SECRET_MESSAGE, grade_all, reference_archive

JUNIT_XSD = Path(__file__).resolve().parents[1] / "fixtures" / "schemas" / "junit-10.xsd"


def _report() -> Report:
    tests = CategoryResult(
        name="tests",
        score=50,
        summary="1 of 2",
        tests=(
            TestCase(id="tests/test_a.py::test_ok", outcome=TestOutcome.PASSED, seconds=0.25),
            TestCase(
                id="tests/test_a.py::test_bad",
                outcome=TestOutcome.FAILED,
                message="assert 1 < 0 & \x01\nwhere 1 = f()",
            ),
            TestCase(id="tests/test_a.py::test_gone", outcome=TestOutcome.MISSING),
            TestCase(id="tests/sub/test_b.py::TestK::test_err", outcome=TestOutcome.ERROR),
            TestCase(id="tests/sub/test_b.py::test_skip[1]", outcome=TestOutcome.SKIPPED),
        ),
        findings=(Finding(rule="collection-error", message="tests/test_a.py: hidden"),),
        verdicts=(
            Verdict(kind=VerdictKind.FORGERY_DETECTED, step="tests.hidden", detail="test_bad"),
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
                url="https://bandit.readthedocs.io/en/1.9.4/blacklists/blacklist_calls.html#b307-eval",
                extra={"test_name": "blacklist", "cwe": "CWE-78"},
            ),
            Finding(
                rule="B602",
                message="shell=True",
                severity=Severity.HIGH,
                file="calc/y.py",
                line=2,
                extra={"test_name": "subprocess_popen_with_shell_equals_true"},
            ),
            Finding(rule="note", message="no file"),
        ),
    )
    style = CategoryResult(
        name="style",
        score=90,
        summary="ruff",
        findings=tuple(
            Finding(
                rule="F401",
                message="`os` imported but unused",
                file="calc/x.py",
                line=line,
                url="https://docs.astral.sh/ruff/rules/unused-import",
            )
            for line in (1, 2)
        ),
    )
    return Report(score=60, categories={"tests": tests, "style": style, "security": security})


def test_junit_is_valid_against_junit_10_xsd() -> None:
    schema = xmlschema.XMLSchema(JUNIT_XSD)
    text = report_junit(_report(), name="sub-1")
    schema.validate(text)
    # The schema is strict enough to matter: the old export's `skipped` on <testsuites> fails.
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        schema.validate(text.replace("<testsuites ", '<testsuites skipped="1" '))


def test_junit_names_messages_and_counts_follow_pytest_and_the_report() -> None:
    report = _report()
    root = parse_xml(report_junit(report))
    suite = root.find("testsuite")
    assert suite is not None
    counts = {k: suite.get(k) for k in ("tests", "failures", "errors", "skipped")}
    cases = report.categories["tests"].tests
    assert counts == {
        "tests": str(len(cases)),
        "failures": str(sum(c.outcome in ("failed", "missing") for c in cases)),
        "errors": str(sum(c.outcome == "error" for c in cases)),
        "skipped": str(sum(c.outcome == "skipped" for c in cases)),
    }
    assert counts == {"tests": "5", "failures": "2", "errors": "1", "skipped": "1"}
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "2", "1")
    got = [(c.get("classname"), c.get("name")) for c in root.iter("testcase")]
    assert got == [
        ("tests.test_a", "test_ok"),
        ("tests.test_a", "test_bad"),
        ("tests.test_a", "test_gone"),
        ("tests.sub.test_b.TestK", "test_err"),
        ("tests.sub.test_b", "test_skip[1]"),
    ]
    bad = root.find("./testsuite/testcase[@name='test_bad']/failure")
    assert bad is not None
    assert bad.get("message") == "assert 1 < 0 &"  # the assertion line, control char dropped
    assert bad.text == "assert 1 < 0 & \nwhere 1 = f()"
    err = root.find("./testsuite/testcase[@name='test_err']/failure")
    assert err is not None
    assert (err.get("type"), err.get("message")) == ("error", "test error")
    assert root.find("./testsuite/testcase[@name='test_skip[1]']/skipped") is not None


def test_sarif_locations_rules_and_no_hidden_tests() -> None:
    sarif = report_sarif(_report(), information_uri="https://t.example/", version="1.2.3")
    (run,) = sarif["runs"]
    text = json.dumps(sarif)
    for hidden in ("test_a", "test_bad", "collection-error", "tests/test_a.py: hidden", "tests/"):
        assert hidden not in text
    assert run["tool"]["driver"]["version"] == "1.2.3"
    assert run["tool"]["driver"]["informationUri"] == "https://t.example/"
    results = run["results"]
    assert [r["ruleId"] for r in results] == [
        "style/F401",
        "style/F401",
        "security/B307",
        "security/B602",
    ]
    assert all(len(r["locations"]) == 1 for r in results)
    location = results[2]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "calc/x.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 6, "startColumn": 3}
    assert "%SRCROOT%" in run["originalUriBaseIds"]
    assert results[2]["level"] == "warning"
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert set(rules) == {"style/F401", "security/B307", "security/B602"}
    for rule in rules.values():
        assert {"shortDescription", "fullDescription", "help"} <= set(rule)
    assert rules["style/F401"]["helpUri"] == "https://docs.astral.sh/ruff/rules/unused-import/"
    assert rules["security/B307"]["helpUri"] == (
        "https://bandit.readthedocs.io/en/latest/blacklists/blacklist_calls.html#b307-eval"
    )
    assert rules["security/B602"]["helpUri"] == (
        "https://bandit.readthedocs.io/en/latest/plugins/"
        "b602_subprocess_popen_with_shell_equals_true.html"
    )
    b307 = rules["security/B307"]["properties"]
    assert b307["tags"] == ["security", "external/cwe/cwe-78"]
    assert b307["security-severity"] == "5.5"
    assert float(rules["security/B602"]["properties"]["security-severity"]) >= 7.0
    assert "security-severity" not in rules["style/F401"]["properties"]
    # The unlocated finding and the verdict are notifications; the forged run is not trusted.
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    notes = {n["descriptor"]["id"]: n for n in invocation["toolExecutionNotifications"]}
    assert set(notes) == {"forgery_detected", "security/note"}
    assert notes["forgery_detected"]["level"] == "error"


def test_sarif_fingerprints_are_stable_and_distinct() -> None:
    first = report_sarif(_report())["runs"][0]["results"]
    moved = _report().model_copy(deep=True)
    style = moved.categories["style"]
    shifted = tuple(f.model_copy(update={"line": (f.line or 0) + 10}) for f in style.findings)
    moved.categories["style"] = style.model_copy(update={"findings": shifted})
    again = report_sarif(moved)["runs"][0]["results"]
    prints = [r["partialFingerprints"] for r in first]
    assert prints == [r["partialFingerprints"] for r in again]  # lines moved: same results
    assert len({json.dumps(p) for p in prints}) == len(prints)  # identical findings stay apart


def _view(candidate: str, **extra: object) -> SubmissionView:
    fields: dict[str, object] = {
        "id": "s1",
        "challenge_id": "calculator",
        "candidate": candidate,
        "filename": "a.tgz",
        "source_kind": "upload",
        "snapshot_digest": "d",
        "created_at": datetime(2026, 12, 1, 9, 30, 5),  # naive UTC, as stored
        "invite_id": None,
        "state": "done",
        "attempts": 1,
        "error": None,
        "score": -1.5,
        "report_json": None,
    }
    return SubmissionView(**{**fields, **extra})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [
        "=1+1",
        "+1",
        "-1",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "\x00x",
        "x;=1+1",
        "x,=1+1",
        "x\t=1",
        "x;+1",
        "x; @A1",
        " =1",
        "a;b,-c",
        "x\n=1",
    ],
)
def test_csv_neutralises_each_trigger(value: str) -> None:
    rows = list(csv.reader(io.StringIO(report_csv([_view(value)], bom=False))))
    assert rows[1][1] == "'" + value


@pytest.mark.parametrize("value", ["Zoë Ångström", "a-b", "x=y", "mail@example.com", "1;2"])
def test_csv_leaves_plain_text_alone(value: str) -> None:
    rows = list(csv.reader(io.StringIO(report_csv([_view(value)], bom=False))))
    assert rows[1][1] == value


def test_csv_bom_timestamps_and_numbers() -> None:
    started = datetime(2026, 12, 1, 8, 0)  # naive UTC, as stored
    text = report_csv([_view("Zoë", started_at=started)], bom=True)
    assert text.startswith(BOM)
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(text.removeprefix(BOM))))
    header, row = rows
    assert header[0] == "submission"
    assert row[header.index("submitted_at")] == "2026-12-01T09:30:05Z"
    assert row[header.index("started_at")] == "2026-12-01T08:00:00Z"
    assert row[header.index("score")] == "-1.5"  # our own number: not a formula, not prefixed
    assert row[1] == "Zoë"
    assert not report_csv([_view("x")]).startswith(BOM)


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
    junit_text = client.get(f"{base}.junit.xml", headers=reviewer_headers).text
    xmlschema.XMLSchema(JUNIT_XSD).validate(junit_text)
    junit = parse_xml(junit_text)
    failed = [c for c in junit.iter("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == [FAILING_TEST.rpartition("::")[2]]
    assert failed[0].get("classname") == "tests.test_expression"
    failure = failed[0].find("failure")
    assert failure is not None
    assert failure.get("message") == SECRET_MESSAGE.split("\n", 1)[0]
    suite = junit.find("testsuite")
    assert suite is not None
    hidden = report["categories"]["tests"]["tests"]
    assert suite.get("tests") == str(len(hidden))
    assert suite.get("failures") == str(sum(t["outcome"] in ("failed", "missing") for t in hidden))
    sarif_response = client.get(f"{base}.sarif", headers=reviewer_headers)
    assert sarif_response.headers["content-type"] == "application/sarif+json"
    sarif = json.loads(sarif_response.text)
    assert sarif["version"] == "2.1.0"
    assert SECRET_MESSAGE not in sarif_response.text
    assert "test_expression" not in sarif_response.text
    driver = sarif["runs"][0]["tool"]["driver"]
    assert driver["version"]
    assert driver["informationUri"].startswith("http")
    response = client.get("/api/challenges/calculator/submissions.csv", headers=reviewer_headers)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert not response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:6] == ["submission", "candidate", "filename", "submitted_at", "state", "score"]
    assert rows[1][0] == sub
    assert rows[1][1] == "'=HYPERLINK(1)"  # no formula injection into spreadsheets
    assert rows[1][3].endswith("Z")
    marked = client.get(
        "/api/challenges/calculator/submissions.csv?bom=1", headers=reviewer_headers
    )
    assert marked.content.startswith(b"\xef\xbb\xbf")
    assert marked.content.decode("utf-8-sig") == response.text
    dashboard = client.get("/reviewer", headers=reviewer_headers).text
    assert 'href="/api/challenges/calculator/submissions.csv?bom=1"' in dashboard


def test_gradescope_over_http(
    client: TestClient,
    svc: Services,
    make_invite: Callable[..., str],
    reviewer_headers: dict[str, str],
) -> None:
    token = make_invite()
    sub = client.post(
        f"/i/{token}/submissions", files={"archive": ("a.tgz", reference_archive())}
    ).json()["id"]
    url = f"/api/submissions/{sub}/report.gradescope.json"
    assert client.get(url, headers=reviewer_headers).status_code == 404
    grade_all(svc)
    response = client.get(url, headers=reviewer_headers)
    assert response.status_code == 200
    results = response.json()
    report = client.get(f"/api/submissions/{sub}/report", headers=reviewer_headers).json()
    assert results["score"] == report["score"]
    hidden = [t for t in results["tests"] if "hidden-test" in t["tags"]]
    assert [t["name"] for t in hidden] == [t["id"] for t in report["categories"]["tests"]["tests"]]
    # calculator's policy is `scores`: tests visible, their messages not.
    assert {t["visibility"] for t in results["tests"]} == {"visible"}
    assert "HIDDEN-ORACLE-SECRET" not in response.text


#: Stored reports this code cannot read: not JSON, a schema version from the future, a shape
#: its version does not have.
UNREADABLE = ("not a report", '{"schema_version": 99}', '{"score": "high", "categories": 3}')


@pytest.mark.parametrize("stored", UNREADABLE)
def test_exports_of_an_unreadable_report_are_a_409(
    client: TestClient,
    svc: Services,
    make_invite: Callable[..., str],
    reviewer_headers: dict[str, str],
    stored: str,
) -> None:
    token = make_invite()
    sub = client.post(
        f"/i/{token}/submissions", files={"archive": ("a.tgz", reference_archive())}
    ).json()["id"]
    grade_all(svc)
    with svc.db.writing() as session:
        session.execute(update(StoredReport).values(json=stored))
    base = f"/api/submissions/{sub}/report"
    for suffix in (".junit.xml", ".sarif", ".gradescope.json"):
        answer = client.get(base + suffix, headers=reviewer_headers)
        assert answer.status_code == 409, suffix
        assert answer.json()["error"] == "report_unreadable", suffix
        assert "stored report cannot be read" in answer.json()["detail"]
    # The JSON report is the stored text, served as it is (it is not parsed).
    assert client.get(base, headers=reviewer_headers).text == stored
