"""Scale-out with real services: PostgreSQL, Redis, two `takehome worker` processes, Docker.

The API (in this process, celery queue) only enqueues; two Celery worker processes of one thread
each grade the calculator challenge in real containers. A burst larger than their capacity is
graded completely, once per run; a worker killed with SIGKILL in the middle of a run leaves it to
the other worker, which removes the dead attempt's containers and stores the only report.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api import create_app
from api.services import Services
from runner.settings import Settings
from runner.store import Run, StoredReport
from runner.store.records import create_api_token, create_reviewer
from sandbox.docker import LABEL_RUN
from tests.fakeservice import CHALLENGES, reference_archive

pytestmark = [pytest.mark.docker, pytest.mark.services]

LEASE_SECONDS = 6.0
DEADLINE = 150.0


@pytest.fixture
def settings(postgres_database: str, redis_url: str, tmp_path: Path, tools_image: str) -> Settings:
    del tools_image  # built before any worker needs it
    redis.Redis.from_url(redis_url).flushdb()  # no message of an earlier test
    return Settings(
        data_dir=tmp_path / "data",
        challenge_dirs=[CHALLENGES],
        secret_key="scaleout-secret-key-0123456789abcdef",
        database_url=postgres_database,
        queue="celery",
        broker_url=redis_url,
        lease_seconds=LEASE_SECONDS,
        dispatch_seconds=0.3,
        workers=0,
    )


def _env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TAKEHOME_DATA_DIR=str(settings.data_dir),
        TAKEHOME_CHALLENGE_DIRS=str(CHALLENGES),
        TAKEHOME_DATABASE_URL=settings.database_url,
        TAKEHOME_QUEUE="celery",
        TAKEHOME_BROKER_URL=settings.broker_url,
        TAKEHOME_LEASE_SECONDS=str(settings.lease_seconds),
        TAKEHOME_LOG_FORMAT="json",
    )
    return env


@pytest.fixture
def start_worker(
    settings: Settings, tmp_path: Path
) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    """Starts `takehome worker --concurrency 1` processes; all are ended after the test."""
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str) -> subprocess.Popen[bytes]:
        argv = [sys.executable, "-c", "from runner.cli import main; main()"]
        argv += ["worker", "--concurrency", "1", "--hostname", f"{name}@test"]
        with (tmp_path / f"{name}.log").open("wb") as log:  # the child keeps its own copy
            proc = subprocess.Popen(argv, env=_env(settings), stdout=log, stderr=subprocess.STDOUT)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)  # cold shutdown: do not wait for a grading
    for proc in started:
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def api(settings: Settings) -> Iterator[tuple[TestClient, Services, dict[str, str]]]:
    app = create_app(settings)
    svc: Services = app.state.services
    create_reviewer(svc.db, "rev@example.com", "correct horse battery")
    headers = {"Authorization": f"Bearer {create_api_token(svc.db, 'rev@example.com')}"}
    with TestClient(app) as client:
        yield client, svc, headers


def _submit(client: TestClient, headers: dict[str, str]) -> str:
    response = client.post(
        "/api/submissions",
        headers=headers,
        data={"challenge": "calculator"},
        files={"archive": ("reference.tar.gz", reference_archive())},
    )
    assert response.status_code == 202, response.text
    return str(response.json()["run"])


def _runs(svc: Services) -> dict[str, Run]:
    with svc.db.reading() as session:
        return {run.id: run for run in session.scalars(select(Run))}


def _wait(predicate: Callable[[], bool], what: str, workers: list[Path]) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    logs = "\n".join(p.read_text()[-3000:] for p in workers if p.exists())
    pytest.fail(f"timed out waiting for {what}; worker logs:\n{logs}")


def _graded_lines(logs: list[Path], run_id: str | None = None) -> list[str]:
    """The workers' "done, score" log lines (of `run_id`, or of every run)."""
    return [
        line
        for path in logs
        if path.exists()
        for line in path.read_text().splitlines()
        if '"message": "run ' in line
        and "done, score" in line
        and (run_id is None or f'"run_id": "{run_id}"' in line)
    ]


def _reports_by_run(svc: Services) -> dict[str, int]:
    with svc.db.reading() as session:
        rows = session.execute(
            select(StoredReport.run_id, func.count()).group_by(StoredReport.run_id)
        )
        return {run_id: count for run_id, count in rows}


def _leftovers(client: docker.DockerClient, run_id: str) -> list[str]:
    label: dict[str, str | list[str] | bool] = {"label": f"{LABEL_RUN}={run_id}"}
    found = [f"container {c.name}" for c in client.containers.list(all=True, filters=label)]
    found += [f"volume {v.name}" for v in client.volumes.list(filters=label)]
    return found


def test_burst_is_graded_by_two_workers_once_each(
    api: tuple[TestClient, Services, dict[str, str]],
    start_worker: Callable[[str], subprocess.Popen[bytes]],
    docker_client: docker.DockerClient,
    tmp_path: Path,
) -> None:
    client, svc, headers = api
    burst = 6  # three times the capacity of two one-thread workers
    run_ids = [_submit(client, headers) for _ in range(burst)]
    start_worker("w1")
    start_worker("w2")
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]

    def finished() -> bool:
        runs = _runs(svc)
        return all(runs[r].state in ("done", "failed") for r in run_ids)

    _wait(finished, "the burst to be graded", logs)
    runs = _runs(svc)
    assert {runs[r].state for r in run_ids} == {"done"}, [runs[r].error for r in run_ids]
    assert _reports_by_run(svc) == dict.fromkeys(run_ids, 1)  # none lost, none doubled
    owners = {runs[r].lease_owner for r in run_ids}
    assert owners == {None}  # released on completion
    # A worker logs "done" after it has committed the report (and recorded its fingerprints),
    # so the last line may trail the database by a moment on a loaded machine.
    _wait(lambda: len(_graded_lines(logs)) >= burst, "every run's done line", logs)
    assert len(_graded_lines(logs)) == burst  # one line a run: none graded twice
    graded_by = {line.split('"worker": "')[1].split(":")[1] for line in _graded_lines(logs)}
    assert len(graded_by) == 2, "both worker processes should have graded runs"
    for run_id in run_ids:
        report = client.get(
            f"/api/submissions/{runs[run_id].submission_id}/report", headers=headers
        )
        assert report.json()["score"] >= 90
        assert _leftovers(docker_client, run_id) == []


def test_killed_worker_run_completes_on_the_other_once(
    api: tuple[TestClient, Services, dict[str, str]],
    start_worker: Callable[[str], subprocess.Popen[bytes]],
    docker_client: docker.DockerClient,
    tmp_path: Path,
) -> None:
    client, svc, headers = api
    workers = {p.pid: p for p in (start_worker("w1"), start_worker("w2"))}
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    run_id = _submit(client, headers)

    def in_containers() -> bool:  # mid-run: claimed, and its sandbox containers exist
        run = _runs(svc)[run_id]
        return run.state == "running" and bool(_leftovers(docker_client, run_id))

    _wait(in_containers, "the run to start in containers", logs)
    owner = _runs(svc)[run_id].lease_owner
    assert owner is not None
    victim = int(owner.split(":")[1])
    workers[victim].send_signal(signal.SIGKILL)
    workers[victim].wait(10)
    survivor = next(pid for pid in workers if pid != victim)

    _wait(lambda: _runs(svc)[run_id].state in ("done", "failed"), "the takeover", logs)
    run = _runs(svc)[run_id]
    assert run.state == "done", run.error
    assert run.attempts == 2
    assert _reports_by_run(svc) == {run_id: 1}
    _wait(lambda: bool(_graded_lines(logs, run_id)), "the survivor's done line", logs)
    graded = _graded_lines(logs, run_id)
    assert len(graded) == 1
    assert f":{survivor}:" in graded[0]
    text = "".join(path.read_text() for path in logs)
    assert "leftover(s) of an earlier attempt" in text  # the dead attempt's containers, reaped
    assert _leftovers(docker_client, run_id) == []
    report = client.get(f"/api/submissions/{run.submission_id}/report", headers=headers)
    assert report.json()["score"] >= 90
