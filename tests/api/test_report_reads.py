"""Reads of reports (issue 15, H4 and two Low findings), through the real app and store.

- The candidate's status page, the dashboard, the compare page and the JSON API's lists read the
  summary stored with the report, never the report: with the report's JSON made unreadable they
  answer exactly as before.
- A stored report is bounded (`max_report_bytes`): a report over it is stored trimmed with a
  `report_truncated` verdict, and still renders.
- The reviewer report page decodes each source file once, whatever the number of findings in
  it, cuts long lines, and says how many findings it does not list.
- Every report, submission and candidate response carries `Cache-Control: no-store`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.routes.reviewer import _code_context
from api.services import Services
from graders.caps import MAX_FINDINGS, TRUNCATED_RULE, more_findings
from graders.model import CategoryResult, Finding, Report, VerdictKind
from runner.intake import Snapshot
from runner.queue import RunQueue
from runner.store import StoredReport
from runner.store.summary import ReportSummary
from tests.fakeservice import grade_all, reference_archive


def _graded(client: TestClient, svc: Services, token: str) -> str:
    files = {"archive": ("solution.tar.gz", reference_archive(), "application/gzip")}
    answer = client.post(f"/i/{token}/submissions", files=files)
    assert answer.status_code == 202, answer.text
    assert grade_all(svc)
    return str(answer.headers["location"])


def _stored(svc: Services) -> StoredReport:
    with svc.db.reading() as session:
        return session.scalars(select(StoredReport)).one()


def test_the_summary_is_stored_with_the_report(
    client: TestClient, svc: Services, make_invite: Callable[..., str]
) -> None:
    _graded(client, svc, make_invite())
    row = _stored(svc)
    report = Report.from_stored(row.json)
    assert row.summary_json is not None
    summary = ReportSummary.from_json(row.summary_json)
    assert summary == ReportSummary.of(report)
    assert summary.score == report.score
    assert dict(summary.categories) == {n: c.score for n, c in report.categories.items()}
    assert [i for i, _ in summary.tests] == [t.id for t in report.categories["tests"].tests]
    assert "message" not in row.summary_json  # no hidden test's message is in the summary


def test_views_never_parse_the_report(
    client: TestClient,
    svc: Services,
    make_invite: Callable[..., str],
    reviewer_headers: dict[str, str],
) -> None:
    location = _graded(client, svc, make_invite())
    submission = location.rsplit("/", 1)[1]
    before = client.get(location).json()
    listed = client.get("/api/submissions", headers=reviewer_headers).json()
    challenge = "/reviewer/challenges/calculator/compare"
    compare = client.get(challenge, headers=reviewer_headers).text
    assert before["score"] == listed[0]["score"]
    assert f"{before['score']:.1f}" in compare
    # Make the stored report unreadable: a view that parsed it would now fail.
    with svc.db.writing() as session:
        session.execute(update(StoredReport).values(json="not a report"))
    assert client.get(location).json() == before
    html = client.get(location, headers={"Accept": "text/html"})
    assert html.status_code == 200
    assert f"{before['score']:.1f}" in html.text
    assert client.get("/api/submissions", headers=reviewer_headers).json() == listed
    assert client.get(challenge, headers=reviewer_headers).text == compare
    assert client.get("/reviewer", headers=reviewer_headers).status_code == 200
    assert client.get(f"/api/submissions/{submission}", headers=reviewer_headers).is_success
    # The reviewer's JSON report is the stored text, served as it is.
    served = client.get(f"/api/submissions/{submission}/report", headers=reviewer_headers)
    assert served.text == "not a report"


def test_no_report_yet_is_a_404_naming_the_state(
    client: TestClient, make_invite: Callable[..., str], reviewer_headers: dict[str, str]
) -> None:
    files = {"archive": ("solution.tar.gz", reference_archive(), "application/gzip")}
    submission = client.post(f"/i/{make_invite()}/submissions", files=files).json()["id"]
    answer = client.get(f"/api/submissions/{submission}/report", headers=reviewer_headers)
    assert answer.status_code == 404
    assert "state: queued" in answer.text
    missing = client.get("/api/submissions/nope/report", headers=reviewer_headers)
    assert missing.status_code == 404


def _flood(findings: int) -> Report:
    flood = tuple(
        Finding(rule="low-coverage", message="0.0% covered " + "x" * 300, file=f"m{i}.py", line=1)
        for i in range(findings)
    )
    result = CategoryResult(name="coverage", score=0.0, summary="forged", findings=flood)
    return Report(score=0.0, categories={"coverage": result})


def test_a_report_over_the_size_limit_is_stored_trimmed(
    client: TestClient,
    svc: Services,
    make_invite: Callable[..., str],
    reviewer_headers: dict[str, str],
) -> None:
    # The forged coverage report of H4, already capped at MAX_FINDINGS by the grader: 500
    # findings of ~400 bytes each are still ~220 KB; the store's limit here is 64 KiB.
    limit = 64 * 1024
    files = {"archive": ("solution.tar.gz", reference_archive(), "application/gzip")}
    location = client.post(f"/i/{make_invite()}/submissions", files=files).headers["location"]
    submission = location.rsplit("/", 1)[1]
    queue = RunQueue(svc.db, max_report_bytes=limit)
    claim = queue.claim("test")
    assert claim is not None
    assert queue.complete(claim, _flood(MAX_FINDINGS))
    row = _stored(svc)
    assert len(row.json.encode()) <= limit
    report = Report.from_stored(row.json)
    assert [v.kind for v in report.verdicts] == [VerdictKind.REPORT_TRUNCATED]
    findings = report.categories["coverage"].findings
    assert findings[-1].rule == TRUNCATED_RULE
    assert len(findings) - 1 + more_findings(findings) == MAX_FINDINGS
    page = client.get(f"/reviewer/submissions/{submission}", headers=reviewer_headers)
    assert page.status_code == 200
    assert "report_truncated" in page.text
    assert f"and {more_findings(findings)} more coverage findings not listed" in page.text
    assert "summary_json" not in page.text
    assert client.get(location).json()["state"] == "done"


def test_the_default_limit_comes_from_the_settings(svc: Services) -> None:
    assert svc.queue.max_report_bytes == svc.settings.max_report_bytes == 2 * 1024 * 1024


class _CountingBytes(bytes):
    """A source file that counts how often it is decoded."""

    decodes = 0

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        type(self).decodes += 1
        return super().decode(encoding, errors)


def test_the_report_page_decodes_each_file_once() -> None:
    # The attack measured: a 12 MB file with 600 findings took 8.6 s. Here 2 MB and 600.
    lines = [f"line {n} " + "y" * 2000 for n in range(1, 1001)]
    source = _CountingBytes("\n".join(lines).encode())
    findings = tuple(
        Finding(rule="E501", message="long", file="big.py", line=n) for n in range(1, 601)
    )
    result = CategoryResult(name="style", score=0.0, summary="s", findings=findings)
    report = Report(score=0.0, categories={"style": result})
    context = _code_context(Snapshot(files={"big.py": source}), report)
    assert _CountingBytes.decodes == 1
    assert len(context) == 300  # the page shows at most 300 findings per category
    assert context["big.py:3"][0] == (1, ("line 1 " + "y" * 2000)[:400])


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_no_store_on_candidate_and_reviewer_reads(
    client: TestClient,
    svc: Services,
    make_invite: Callable[..., str],
    reviewer_headers: dict[str, str],
    accept: str,
) -> None:
    location = _graded(client, svc, make_invite())
    submission = location.rsplit("/", 1)[1]
    paths = [
        f"/api/submissions/{submission}/report",
        f"/api/submissions/{submission}/report.sarif",
        f"/api/submissions/{submission}/report.junit.xml",
        f"/api/submissions/{submission}",
        "/api/submissions",
        "/api/challenges/calculator/submissions.csv",
        f"/reviewer/submissions/{submission}",
        "/reviewer/challenges/calculator/compare",
        "/reviewer",
    ]
    for path in paths:
        answer = client.get(path, headers={**reviewer_headers, "Accept": accept})
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "no-store", path
    status = client.get(location, headers={"Accept": accept})
    assert status.status_code == 200
    assert status.headers["cache-control"] == "no-store"
    assert json.dumps(status.headers.get_list("cache-control")) == '["no-store"]'
