"""Migration 0011 (repeated hidden-test runs) on SQLite and PostgreSQL: a run written before it
keeps its row and reads as one run; a run with a repeat can be written after it; it downgrades
cleanly."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from runner.settings import Settings
from runner.store import Database, open_database
from tests.migrations import downgrade

_NOW = datetime(2024, 1, 2, 3, 4, 5)
_SUBMISSION = (
    "INSERT INTO submissions (id, challenge_id, source_kind, filename, snapshot_digest,"
    " created_at) VALUES ('s', 'calculator', 'upload', 'a.tgz', 'digest', :now)"
)
_RUN = (
    "INSERT INTO runs (id, submission_id, state, attempts, not_before, created_at)"
    " VALUES (:id, 's', 'queued', 0, :now, :now)"
)


def _check(db: Database) -> None:
    db.migrate("0010")
    with db.engine.begin() as connection:
        connection.execute(sa.text(_SUBMISSION), {"now": _NOW})
        connection.execute(sa.text(_RUN), {"id": "before", "now": _NOW})
    db.migrate("0011")
    with db.engine.begin() as connection:
        after = _RUN.replace("created_at)", "created_at, repeat)").replace(":now)", ":now, 3)")
        connection.execute(sa.text(after), {"id": "after", "now": _NOW})
        rows = connection.execute(sa.text("SELECT id, repeat FROM runs ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [("after", 3), ("before", 1)]
    downgrade(db, "0010")
    with db.engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("runs")}
        count = connection.execute(sa.text("SELECT count(*) FROM runs")).scalar()
    assert "repeat" not in columns
    assert count == 2
    db.close()


def test_sqlite_0011_keeps_rows_and_downgrades(tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path), migrate=False)
    _check(db)


@pytest.mark.services
def test_postgres_0011_keeps_rows_and_downgrades(postgres_database: str, tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path, database_url=postgres_database), migrate=False)
    _check(db)
