"""The database queue: claim, lease, retry with backoff, failure, regrade and restart recovery."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.services import Services
from runner.challenge import ChallengeRegistry
from runner.pipeline import Pipeline
from runner.store import Run, StoredReport
from runner.store.models import utcnow
from runner.store.records import enqueue_regrade
from runner.worker import Worker, WorkerPool
from sandbox import EngineUnavailable, Execution, FakeSandbox, RunSpec, SandboxMisconfigured
from tests.fakeservice import reference_archive, tar_gz


def _submit(client: TestClient, token: str, data: bytes | None = None) -> str:
    archive = data or reference_archive()
    response = client.post(f"/i/{token}/submissions", files={"archive": ("a.tgz", archive)})
    assert response.status_code == 202
    return str(response.json()["id"])


def _runs(svc: Services) -> list[Run]:
    with svc.db.reading() as session:
        return list(session.scalars(select(Run).order_by(Run.created_at)))


def _reports(svc: Services) -> list[StoredReport]:
    with svc.db.reading() as session:
        return list(session.scalars(select(StoredReport).order_by(StoredReport.created_at)))


def _broken_worker(svc: Services, calls: list[int]) -> Worker:
    def handler(spec: RunSpec) -> Execution:
        calls.append(1)
        raise EngineUnavailable("the Docker engine is down")

    pipeline = Pipeline(FakeSandbox(handler), images=lambda _c: "img", concurrency=1)
    return Worker(svc.queue, svc.blobs, lambda: svc.challenges, lambda: pipeline, name="broken")


def _time_passes(svc: Services) -> None:
    with svc.db.writing() as session:
        session.execute(update(Run).values(not_before=utcnow() - timedelta(seconds=1)))


@pytest.fixture
def token(make_invite: Callable[..., str]) -> str:
    return make_invite(max_submissions=10)


def test_claims_oldest_first_and_never_twice(
    client: TestClient, svc: Services, token: str
) -> None:
    first = _submit(client, token)
    second = _submit(client, token, tar_gz({"b.py": b"b = 1\n"}))
    one = svc.queue.claim("w1")
    two = svc.queue.claim("w2")
    assert one is not None
    assert two is not None
    assert (one.submission_id, two.submission_id) == (first, second)
    assert svc.queue.claim("w3") is None
    assert {r.state for r in _runs(svc)} == {"running"}


def test_concurrent_workers_share_runs_without_overlap(
    client: TestClient, svc: Services, token: str
) -> None:
    for index in range(6):
        _submit(client, token, tar_gz({f"m{index}.py": b"x = 1\n"}))
    claimed: list[str] = []
    lock = threading.Lock()

    def take(owner: str) -> None:
        while (claim := svc.queue.claim(owner)) is not None:
            with lock:
                claimed.append(claim.run_id)

    threads = [threading.Thread(target=take, args=(f"w{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(r.id for r in _runs(svc))


def test_infrastructure_fault_requeues_with_backoff_then_fails(
    client: TestClient, svc: Services, token: str
) -> None:
    _submit(client, token)
    calls: list[int] = []
    worker = _broken_worker(svc, calls)
    assert worker.run_once() is not None
    (run,) = _runs(svc)
    assert (run.state, run.attempts) == ("queued", 1)
    assert run.error is not None
    assert "EngineUnavailable" in run.error
    assert run.not_before > utcnow()
    assert worker.run_once() is None  # backing off
    _time_passes(svc)
    assert worker.run_once() is not None
    (run,) = _runs(svc)
    assert (run.state, run.attempts) == ("queued", 2)
    assert run.not_before - utcnow() > timedelta(seconds=8)  # 5 s, then 10 s
    _time_passes(svc)
    assert worker.run_once() is not None
    (run,) = _runs(svc)
    assert (run.state, run.attempts) == ("failed", 3)
    assert run.error is not None
    assert run.error.startswith("gave up after 3 attempt(s)")
    assert _reports(svc) == []
    assert calls  # the pipeline was really tried


def test_unknown_challenge_fails_without_retry(
    client: TestClient, svc: Services, token: str
) -> None:
    _submit(client, token)
    worker = Worker(svc.queue, svc.blobs, ChallengeRegistry, svc.pipeline, name="w")
    worker.run_once()
    (run,) = _runs(svc)
    assert (run.state, run.attempts) == ("failed", 1)
    assert run.error is not None
    assert "unknown challenge" in run.error


def test_image_settings_that_cannot_build_the_image_fail_the_run_at_once(
    client: TestClient, svc: Services, token: str
) -> None:
    """A registry base with a challenge that needs Debian packages: retrying cannot help."""
    _submit(client, token)

    def images(_challenge: object) -> str:
        raise SandboxMisconfigured("Debian packages (postgresql) ...: unset TAKEHOME_BASE_IMAGE")

    def no_container(spec: RunSpec) -> Execution:
        raise AssertionError(f"no container may start without an image: {spec.label}")

    pipeline = Pipeline(FakeSandbox(no_container), images, concurrency=1)
    worker = Worker(svc.queue, svc.blobs, lambda: svc.challenges, lambda: pipeline, name="w")
    worker.run_once()
    (run,) = _runs(svc)
    assert (run.state, run.attempts) == ("failed", 1)
    assert run.error == (
        "SandboxMisconfigured: Debian packages (postgresql) ...: unset TAKEHOME_BASE_IMAGE"
    )
    assert _reports(svc) == []


def test_expired_lease_is_taken_over_and_completes_exactly_once(
    client: TestClient, svc: Services, token: str
) -> None:
    _submit(client, token)
    dead = svc.queue.claim("crashed-worker")
    assert dead is not None
    assert svc.queue.claim("other") is None  # leased
    with svc.db.writing() as session:  # the worker died; its lease ran out long ago
        session.execute(update(Run).values(lease_expires_at=utcnow() - timedelta(hours=1)))
    worker = svc.worker(name="restarted")
    assert worker.run_once() == dead.run_id
    assert worker.run_once() is None
    (run,) = _runs(svc)
    assert (run.state, run.attempts, run.lease_owner) == ("done", 2, None)
    report = svc.pipeline().grade(
        svc.challenges.get("calculator"), svc.challenges.get("calculator").reference()
    )
    assert not svc.queue.complete(dead, report)  # the crashed worker's late answer is dropped
    assert not svc.queue.renew(dead)
    assert len(_reports(svc)) == 1


def test_regrade_keeps_old_reports_and_marks_the_newest_current(
    client: TestClient, svc: Services, token: str
) -> None:
    sub = _submit(client, token)
    svc.worker().run_once()
    first = enqueue_regrade(svc.db, sub)
    assert enqueue_regrade(svc.db, sub) == first  # a queued regrade is not doubled
    svc.worker().run_once()
    reports = _reports(svc)
    assert len(reports) == 2
    assert [r.current for r in reports] == [False, True]
    assert reports[1].run_id == first
    assert [r.state for r in _runs(svc)] == ["done", "done"]


def test_worker_threads_grade_in_the_background(
    client: TestClient, svc: Services, token: str
) -> None:
    sub = _submit(client, token)
    pool = WorkerPool(lambda i: svc.worker(name=f"t{i}"), 2, poll_seconds=0.05)
    pool.start()
    try:
        for _ in range(200):
            if client.get(f"/i/{token}/submissions/{sub}").json()["state"] == "done":
                break
            threading.Event().wait(0.05)
    finally:
        pool.stop()
    assert client.get(f"/i/{token}/submissions/{sub}").json()["state"] == "done"
    assert len(_reports(svc)) == 1
