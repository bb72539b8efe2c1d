"""A report stored before `schema_version` existed still serves every page and export.

The stored JSON is tests/fixtures/reports/report-v1.json, a report as the previous code wrote
it; it is put in the database the way that code's worker did (the `reports.json` column), and
read back through the real app. A report graded now is stored with `schema_version`.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from defusedxml.ElementTree import fromstring as parse_xml
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.services import Services
from graders.model import SCHEMA_VERSION, Report
from runner.challenge import load_challenge
from runner.client import ApiClient
from runner.store import StoredReport
from runner.store.records import create_api_token, create_reviewer
from tests.api.conftest import CALCULATOR, grade_all, reference_archive

V1 = Path(__file__).resolve().parents[1] / "fixtures" / "reports" / "report-v1.json"


def _submit(client: TestClient, headers: dict[str, str]) -> str:
    response = client.post(
        "/api/submissions",
        headers=headers,
        data={"challenge": "calculator"},
        files={"archive": ("a.tgz", reference_archive())},
    )
    assert response.status_code == 202
    return str(response.json()["id"])


def _store_v1(svc: Services, submission_id: str) -> None:
    """Replace the submission's stored report with the v1 fixture, as an old worker wrote it."""
    with svc.db.writing() as session:
        changed = session.execute(
            update(StoredReport)
            .where(StoredReport.submission_id == submission_id)
            .values(json=V1.read_text(), score=75.0)
        )
        assert changed.rowcount == 1  # type: ignore[attr-defined]


def test_a_fresh_report_is_stored_with_the_schema_version(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str]
) -> None:
    sub = _submit(client, reviewer_headers)
    grade_all(svc)
    stored = client.get(f"/api/submissions/{sub}/report", headers=reviewer_headers).json()
    assert stored["schema_version"] == SCHEMA_VERSION


def test_a_v1_stored_report_serves_every_page_and_export(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
) -> None:
    sub = _submit(client, reviewer_headers)
    grade_all(svc)
    _store_v1(svc, sub)
    base = f"/api/submissions/{sub}/report"
    # The JSON endpoint returns the report as stored: a v1 report has no field (version 1).
    raw = client.get(base, headers=reviewer_headers)
    assert raw.status_code == 200
    assert raw.json() == json.loads(V1.read_text())
    page = client.get(f"/reviewer/submissions/{sub}", headers=reviewer_headers)
    assert page.status_code == 200
    assert "calc/unused.py" in page.text  # the v1 report's style finding
    sarif = json.loads(client.get(f"{base}.sarif", headers=reviewer_headers).text)
    rules = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert {"style/F401", "security/B307"} <= rules
    junit = parse_xml(client.get(f"{base}.junit.xml", headers=reviewer_headers).text)
    assert len(list(junit.iter("testcase"))) == 14
    text = client.get("/api/challenges/calculator/submissions.csv", headers=reviewer_headers).text
    (row,) = [r for r in csv.reader(io.StringIO(text)) if r[0] == sub]
    assert "75.0" in row


def test_the_client_reads_a_v1_report_in_the_current_shape(
    live_server: tuple[str, Services],
) -> None:
    base, svc = live_server
    create_reviewer(svc.db, "rev@example.com", "correct horse battery")
    api = ApiClient(base, create_api_token(svc.db, "rev@example.com"))
    sub = api.submit(load_challenge(CALCULATOR).reference(), "calculator", "ref")
    assert api.wait(sub, timeout=60, poll=0.1)["state"] == "done"
    assert api.report(sub).schema_version == SCHEMA_VERSION
    _store_v1(svc, sub)
    report = api.report(sub)
    assert report == Report.from_stored(V1.read_text())
    assert report.schema_version == SCHEMA_VERSION
