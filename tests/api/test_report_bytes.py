"""The reviewer's report read serves the stored bytes from a per-report-id cache: a regrade's
new report is served at once (a new id), and the cache stays within its byte budget."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from api.report_bytes import ReportBytes
from api.services import Services
from runner.store import StoredReport
from tests.fakeservice import grade_all, reference_archive


def _submission(client: TestClient, svc: Services, token: str) -> str:
    files = {"archive": ("solution.tar.gz", reference_archive(), "application/gzip")}
    answer = client.post(f"/i/{token}/submissions", files=files)
    assert answer.status_code == 202, answer.text
    assert grade_all(svc)
    return str(answer.json()["id"])


def _current_json(svc: Services, submission_id: str) -> str:
    query = select(StoredReport.json).where(
        StoredReport.submission_id == submission_id, StoredReport.current.is_(True)
    )
    with svc.db.reading() as session:
        return str(session.scalar(query))


def test_a_regrade_is_served_at_once(
    client: TestClient,
    svc: Services,
    make_invite: Callable[..., str],
    reviewer_headers: dict[str, str],
) -> None:
    submission = _submission(client, svc, make_invite())
    path = f"/api/submissions/{submission}/report"
    first = client.get(path, headers=reviewer_headers)
    assert first.content == _current_json(svc, submission).encode()
    assert client.get(path, headers=reviewer_headers).content == first.content
    regrade = client.post(f"/api/submissions/{submission}/regrade", headers=reviewer_headers)
    assert regrade.status_code == 202
    assert grade_all(svc)
    second = client.get(path, headers=reviewer_headers)
    assert second.content == _current_json(svc, submission).encode()
    assert second.content != first.content  # a new run id and grading time


def test_no_report_yet_is_a_404_naming_the_state(
    client: TestClient, make_invite: Callable[..., str], reviewer_headers: dict[str, str]
) -> None:
    files = {"archive": ("solution.tar.gz", reference_archive(), "application/gzip")}
    submission = client.post(f"/i/{make_invite()}/submissions", files=files).json()["id"]
    answer = client.get(f"/api/submissions/{submission}/report", headers=reviewer_headers)
    assert answer.status_code == 404
    assert "state: queued" in answer.text


def test_the_cache_keeps_to_its_budget(
    client: TestClient, svc: Services, make_invite: Callable[..., str]
) -> None:
    ids = [_submission(client, svc, make_invite(who=who)) for who in ("A", "B", "C")]
    size = len(_current_json(svc, ids[0]).encode())
    cache = ReportBytes(budget=2 * size + size // 2)  # room for two reports, not three
    with svc.db.engine.connect() as connection:
        served = [cache.current(connection, i) for i in ids]
        assert cache.current(connection, "no-such-submission") is None
    assert served == [_current_json(svc, i).encode() for i in ids]
    assert cache._size <= cache.budget
    assert len(cache._kept) == 2
