"""Storage: migrations match the models, SQLite runs in WAL, invite limits hold under races."""

from __future__ import annotations

import threading

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from api.services import Services
from runner.intake import Snapshot
from runner.store import Base
from runner.store.records import (
    NewSubmission,
    SubmissionLimitReached,
    add_submission,
    create_invite,
)


def test_migrations_match_the_models(svc: Services) -> None:
    with svc.db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_sqlite_runs_in_wal_mode_and_migrating_twice_is_a_no_op(svc: Services) -> None:
    svc.db.migrate()
    with svc.db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert (svc.settings.data_dir / "takehome.db").is_file()


def test_the_last_submission_of_an_invite_is_taken_once(svc: Services) -> None:
    invite, _token = create_invite(
        svc.db,
        challenge_id="calculator",
        candidate="racer",
        expires_days=1,
        max_submissions=1,
        created_by=None,
    )
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def submit(index: int) -> None:
        snapshot = Snapshot(files={f"m{index}.py": b"x = 1\n"})
        new = NewSubmission("calculator", snapshot, "a.tgz", invite_id=invite.id)
        barrier.wait()
        try:
            add_submission(svc.db, svc.blobs, new)
            outcomes.append("stored")
        except SubmissionLimitReached:
            outcomes.append("refused")

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "refused", "refused", "stored"]
