"""A regrade that runs the hidden tests K times: `repeat` from the JSON body, the query or the
reviewer page's form, stored on the run (`runs.repeat`), carried by the claim to the pipeline;
out of range or contradictory, a 422 that queues nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.services import Services
from graders.model import Report
from runner.store import Run
from runner.store.models import StoredReport
from tests.fakeservice import grade_all, reference_archive, stored


@pytest.fixture
def graded(client: TestClient, svc: Services, make_invite: Callable[..., str]) -> str:
    token = make_invite()
    response = client.post(
        f"/i/{token}/submissions", files={"archive": ("a.tgz", reference_archive())}
    )
    assert response.status_code == 202
    grade_all(svc)
    submission: str = response.json()["id"]
    return submission


def _repeats(svc: Services, submission: str) -> list[int]:
    with svc.db.reading() as session:
        runs = session.scalars(
            select(Run).where(Run.submission_id == submission).order_by(Run.created_at)
        )
        return [r.repeat for r in runs]


def test_body_repeat_is_stored_and_reaches_the_report(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str], graded: str
) -> None:
    response = client.post(
        f"/api/submissions/{graded}/regrade", json={"repeat": 3}, headers=reviewer_headers
    )
    assert response.status_code == 202
    assert response.json()["repeat"] == 3
    assert _repeats(svc, graded) == [1, 3]
    assert grade_all(svc) == [response.json()["run"]]
    with svc.db.reading() as session:
        text = session.scalars(
            select(StoredReport.json).where(StoredReport.run_id == response.json()["run"])
        ).one()
    report = Report.from_stored(text)
    assert report.provenance["repeat"] == 3
    tests = report.categories["tests"].tests
    # The fake sandbox reports JUnit for run 1 only: runs 2 and 3 count every test missing.
    assert {t.runs[1:] for t in tests} == {("missing", "missing")}
    assert report.categories["tests"].metrics["runs"] == 3.0


def test_query_repeat_and_the_default(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str], graded: str
) -> None:
    url = f"/api/submissions/{graded}/regrade"
    assert client.post(f"{url}?repeat=5", headers=reviewer_headers).json()["repeat"] == 5
    grade_all(svc)
    assert client.post(url, headers=reviewer_headers).json()["repeat"] == 1
    assert _repeats(svc, graded) == [1, 5, 1]


def test_a_queued_regrade_is_reused_with_the_larger_repeat(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str], graded: str
) -> None:
    url = f"/api/submissions/{graded}/regrade"
    first = client.post(url, json={"repeat": 4}, headers=reviewer_headers).json()["run"]
    assert client.post(url, json={"repeat": 2}, headers=reviewer_headers).json()["run"] == first
    assert _repeats(svc, graded) == [1, 4]


@pytest.mark.parametrize(
    ("query", "body"),
    [
        ("?repeat=0", None),
        ("?repeat=11", None),
        ("?repeat=x", None),
        ("", {"repeat": 11}),
        ("", {"repeat": 0}),
        ("", {"times": 2}),
        ("?repeat=3", {"repeat": 2}),
    ],
)
def test_bad_repeat_is_a_422_that_queues_nothing(
    client: TestClient,
    svc: Services,
    reviewer_headers: dict[str, str],
    graded: str,
    *,
    query: str,
    body: dict[str, int] | None,
) -> None:
    before = stored(svc)
    response = client.post(
        f"/api/submissions/{graded}/regrade{query}", json=body, headers=reviewer_headers
    )
    assert response.status_code == 422
    assert stored(svc) == before


def test_reviewer_form_offers_and_sends_repeat(
    client: TestClient, svc: Services, reviewer_headers: dict[str, str], graded: str
) -> None:
    page = client.get(f"/reviewer/submissions/{graded}", headers=reviewer_headers)
    assert '<select name="repeat" id="regrade-repeat">' in page.text
    assert '<option value="3">3 times (flaky check)</option>' in page.text
    url = f"/reviewer/submissions/{graded}/regrade"
    response = client.post(
        url, data={"repeat": "3"}, headers=reviewer_headers, follow_redirects=False
    )
    assert response.status_code == 303
    assert _repeats(svc, graded) == [1, 3]
    grade_all(svc)
    page = client.get(f"/reviewer/submissions/{graded}", headers=reviewer_headers)
    assert "passed 1/3 runs" in page.text
    refused = client.post(url, data={"repeat": "²"}, headers=reviewer_headers)
    assert refused.status_code == 422
    assert _repeats(svc, graded) == [1, 3]
