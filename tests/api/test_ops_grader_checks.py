"""A grader that fails its self-check keeps the embedded worker threads from taking any run, and
`/readyz` says which grader it is (the service still takes submissions)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api import create_app
from api.services import Services
from runner.pipeline import Pipeline
from runner.settings import Settings
from runner.store import Run
from runner.store.records import create_api_token, create_reviewer
from runner.wiring import PipelineFactory, checked
from tests.api.conftest import fake_pipeline, reference_archive
from tests.failing_grader import NAME, register_failing_grader
from tests.hostsandbox import HostSandbox


@pytest.fixture
def checked_fake(tmp_path_factory: pytest.TempPathFactory) -> PipelineFactory:
    """The tests' fake pipeline, handed out as the production one is: once every registered
    grader passed its check, here with the real pinned tools on the host."""
    sandbox = HostSandbox(tmp_path_factory.mktemp("hostsandbox"))

    def factory(settings: Settings) -> Pipeline:
        return checked(fake_pipeline(settings), sandbox, "takehome/python:test")

    return factory


def _wait(predicate: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 120
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _headers(svc: Services) -> dict[str, str]:
    create_reviewer(svc.db, "rev@example.com", "correct horse battery")
    return {"Authorization": f"Bearer {create_api_token(svc.db, 'rev@example.com')}"}


def _submit(client: TestClient, headers: dict[str, str]) -> str:
    response = client.post(
        "/api/submissions",
        headers=headers,
        data={"challenge": "calculator"},
        files={"archive": ("a.tgz", reference_archive())},
    )
    assert response.status_code == 202, response.text
    return str(response.json()["run"])


def _run(svc: Services, run_id: str) -> Run:
    with svc.db.reading() as session:
        found = session.scalars(select(Run).where(Run.id == run_id)).one()
        session.expunge(found)
        return found


def test_a_failing_grader_keeps_the_worker_threads_from_taking_runs(
    settings: Settings,
    checked_fake: PipelineFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    register_failing_grader(monkeypatch)
    app = create_app(settings.model_copy(update={"workers": 2}), pipeline_factory=checked_fake)
    svc: Services = app.state.services
    headers = _headers(svc)
    with TestClient(app) as client:
        run_id = _submit(client, headers)
        _wait(lambda: svc.pipeline_state() != "pending")
        ready = client.get("/readyz")
        grading = [t.name for t in threading.enumerate() if t.name.startswith("takehome-worker")]
        run = _run(svc, run_id)
    assert ready.status_code == 503
    assert ready.json()["checks"]["graders"] == f"failed: {NAME}"
    assert ready.json()["status"] == "not ready"
    assert grading == []  # no worker thread was started
    assert (run.state, run.attempts) == ("queued", 0)


def test_with_every_check_passing_the_threads_grade(
    settings: Settings, checked_fake: PipelineFactory
) -> None:
    app = create_app(settings.model_copy(update={"workers": 1}), pipeline_factory=checked_fake)
    svc: Services = app.state.services
    headers = _headers(svc)
    with TestClient(app) as client:
        run_id = _submit(client, headers)
        _wait(lambda: _run(svc, run_id).state == "done")
        checks = client.get("/readyz").json()["checks"]
    assert checks["graders"] == "ok"
