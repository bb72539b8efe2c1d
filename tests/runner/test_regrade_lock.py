"""A regrade racing a worker's claim of the queued run on PostgreSQL: the regrade locks that
run (FOR UPDATE), so it either raises the run's `repeat` before the claim or, once the claim
has taken it, queues a new run; the `repeat` is never written to a run already running."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select, text

from runner.blobs import LocalBlobStore
from runner.intake import Snapshot
from runner.settings import Settings
from runner.store import Run, open_database
from runner.store.records import NewSubmission, add_submission, enqueue_regrade


@pytest.mark.services
def test_a_regrade_during_a_claim_queues_a_new_run(postgres_database: str, tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path / "data", database_url=postgres_database))
    try:
        snapshot = Snapshot(files={"m.py": b"x = 1\n"})
        new = NewSubmission("calculator", snapshot, "a.tgz")
        submission, queued = add_submission(db, LocalBlobStore(tmp_path / "blobs"), new)
        got: list[str] = []
        with db.engine.connect() as worker:
            claim = worker.begin()  # a worker's claim under way: it holds the queued row
            worker.execute(text("SELECT id FROM runs WHERE id = :id FOR UPDATE"), {"id": queued})
            regrade = threading.Thread(
                target=lambda: got.append(enqueue_regrade(db, submission, repeat=3))
            )
            regrade.start()
            regrade.join(1.0)  # give it the chance to read the row before the claim commits
            worker.execute(
                text("UPDATE runs SET state = 'running' WHERE id = :id"), {"id": queued}
            )
            claim.commit()
            regrade.join(30)
        assert len(got) == 1
        assert got != [queued]
        with db.reading() as session:
            repeats = {r.id: r.repeat for r in session.scalars(select(Run))}
        assert repeats == {queued: 1, got[0]: 3}
    finally:
        db.close()
