"""The dispatcher publishes every claimable run once, keeps runs the broker refused for later,
and publishes again a run taken over after its worker died; claims by id are race-free on
PostgreSQL and refuse runs that are not claimable."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from runner.dispatch import Dispatcher
from runner.intake import Snapshot
from runner.queue import RunQueue
from runner.settings import Settings
from runner.store import Database, Run, open_database
from runner.store.models import Submission, utcnow


def _queue(url: str, tmp_path: Path) -> tuple[Database, RunQueue]:
    db = open_database(Settings(data_dir=tmp_path, database_url=url))
    return db, RunQueue(db, lease_seconds=30)


def _add_runs(db: Database, count: int) -> list[str]:
    ids = []
    with db.writing() as session:
        for index in range(count):
            sub = Submission(
                challenge_id="calculator",
                source_kind="upload",
                filename=f"{index}.tgz",
                snapshot_digest=Snapshot({"a.py": b""}).digest,
            )
            session.add(sub)
            session.flush()
            run = Run(submission_id=sub.id, created_at=utcnow() + timedelta(microseconds=index))
            session.add(run)
            session.flush()
            ids.append(run.id)
    return ids


class _Broker:
    def __init__(self) -> None:
        self.up = False
        self.sent: list[str] = []

    def publish(self, run_id: str) -> None:
        if not self.up:
            raise ConnectionError("broker down")
        self.sent.append(run_id)


def test_runs_enqueued_while_the_broker_is_down_are_published_later(tmp_path: Path) -> None:
    db, queue = _queue("", tmp_path)
    clock = [0.0]
    broker = _Broker()
    dispatcher = Dispatcher(queue, broker.publish, republish_seconds=100, clock=lambda: clock[0])
    ids = _add_runs(db, 3)
    assert dispatcher.sweep() == 0
    assert not dispatcher.broker_ok
    broker.up = True
    assert dispatcher.sweep() == 3
    assert broker.sent == ids
    assert dispatcher.sweep() == 0  # published once, not on every poll

    claim = queue.claim_run(ids[0], "dead-worker")
    assert claim is not None
    assert dispatcher.sweep() == 0  # held under a live lease: nothing to publish
    with db.writing() as session:  # the worker died: its lease runs out
        session.execute(update(Run).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    assert dispatcher.sweep() == 1
    assert broker.sent[-1] == ids[0]

    clock[0] = 150.0  # still queued long after publication: the broker may have lost them
    assert dispatcher.sweep() == 3
    db.close()


def test_claim_run_refuses_finished_and_held_runs(tmp_path: Path) -> None:
    db, queue = _queue("", tmp_path)
    (run_id,) = _add_runs(db, 1)
    assert queue.claim_run("no-such-run", "w") is None
    claim = queue.claim_run(run_id, "w1")
    assert claim is not None
    assert claim.attempt == 1
    assert queue.claim_run(run_id, "w2") is None  # a duplicate message while w1 grades
    assert queue.fail(claim, "x")
    assert queue.claim_run(run_id, "w2") is None  # a redelivered message of a finished run
    db.close()


@pytest.mark.services
def test_postgres_claims_never_overlap(postgres_database: str, tmp_path: Path) -> None:
    db, queue = _queue(postgres_database, tmp_path)
    ids = _add_runs(db, 20)
    won: dict[str, list[str]] = {run_id: [] for run_id in ids}
    barrier = threading.Barrier(4)
    lock = threading.Lock()

    def race(worker: str) -> None:
        barrier.wait()
        for run_id in ids:  # every worker tries every run, all at the same time
            if queue.claim_run(run_id, worker) is not None:
                with lock:
                    won[run_id].append(worker)
        while (claim := queue.claim(worker)) is not None:
            with lock:
                won[claim.run_id].append(worker)

    threads = [threading.Thread(target=race, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(len(winners) == 1 for winners in won.values()), won
    db.close()
