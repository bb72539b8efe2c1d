"""Migration 0010 (Git history) on SQLite and PostgreSQL: a submission written before it keeps
its row and has no history; a history can be written after it; it downgrades cleanly."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from runner.gitintake import GitHistory
from runner.settings import Settings
from runner.store import Database, open_database
from tests.migrations import downgrade

_SUBMISSION = (
    "INSERT INTO submissions (id, challenge_id, source_kind, filename, snapshot_digest,"
    " created_at) VALUES ('s1', 'calculator', 'git', 'repo@abc', 'sha256:00', :now)"
)
_HISTORY = (
    "INSERT INTO submission_histories (submission_id, json, created_at) VALUES ('s1', :json, :now)"
)
_NOW = datetime(2024, 1, 2, 3, 4, 5)


def _check(db: Database) -> None:
    db.migrate("0009")
    with db.engine.begin() as connection:
        connection.execute(sa.text(_SUBMISSION), {"now": _NOW})
    db.migrate("0010")
    with db.engine.begin() as connection:
        before = connection.execute(sa.text("SELECT count(*) FROM submission_histories")).scalar()
        connection.execute(
            sa.text(_HISTORY), {"now": _NOW, "json": GitHistory(limit=200).to_json()}
        )
        stored = connection.execute(sa.text("SELECT json FROM submission_histories")).scalar()
    assert before == 0
    assert stored is not None
    assert GitHistory.from_json(stored) == GitHistory(limit=200)
    downgrade(db, "0009")
    with db.engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
        count = connection.execute(sa.text("SELECT count(*) FROM submissions")).scalar()
    assert "submission_histories" not in tables
    assert count == 1
    db.close()


def test_sqlite_0010_keeps_rows_and_downgrades(tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path), migrate=False)
    _check(db)


@pytest.mark.services
def test_postgres_0010_keeps_rows_and_downgrades(postgres_database: str, tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path, database_url=postgres_database), migrate=False)
    _check(db)
