"""The candidate's status page follows a submission: queued (with its place in the queue),
grading, done; the queue position counts only the runs ahead of it."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from api.services import Services
from tests.api.conftest import reference_archive


def _upload(client: TestClient, token: str) -> str:
    files = {"archive": ("solution.tar.gz", reference_archive(), "application/gzip")}
    answer = client.post(f"/i/{token}/submissions", files=files)
    assert answer.status_code == 202, answer.text
    return str(answer.headers["location"])


def test_queued_with_its_position_then_done(
    client: TestClient, svc: Services, make_invite: Callable[..., str]
) -> None:
    locations = [_upload(client, make_invite(who=who)) for who in ("A", "B", "C")]
    positions = [client.get(where).json()["queue_position"] for where in locations]
    assert positions == [1, 2, 3]
    page = client.get(locations[2], headers={"Accept": "text/html"}).text
    assert 'id="queue-position">number 3</strong> in the queue' in page

    worker = svc.worker(name="test-worker")
    assert worker.run_once() is not None  # the oldest is graded first
    first, last = client.get(locations[0]).json(), client.get(locations[2]).json()
    assert first["state"] == "done"
    assert "queue_position" not in first
    assert last["queue_position"] == 2

    while worker.run_once() is not None:
        pass
    page = client.get(locations[2], headers={"Accept": "text/html"}).text
    assert '<li class="current">done</li>' in page
    assert "in the queue" not in page
