"""Migration 0004 (the candidate's journey) on SQLite and PostgreSQL: invites and submissions
written before it keep their rows and read as untimed, not strict, not late; it downgrades
cleanly."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from runner.settings import Settings
from runner.store import Database, open_database
from tests.migrations import downgrade

_ROWS = (
    "INSERT INTO invites (id, challenge_id, candidate, token_hash, expires_at, max_submissions,"
    " created_at) VALUES ('i1', 'calculator', 'Ada', 'h', :now, 3, :now)",
    "INSERT INTO submissions (id, invite_id, challenge_id, source_kind, filename,"
    " snapshot_digest, created_at) VALUES ('s1', 'i1', 'calculator', 'upload', 'a.tgz',"
    " 'sha256:00', :now)",
)


def _check(db: Database) -> None:
    db.migrate("0002")
    with db.engine.begin() as connection:
        for statement in _ROWS:
            connection.execute(sa.text(statement), {"now": datetime(2024, 1, 2, 3, 4, 5)})
    db.migrate("0004")
    with db.engine.connect() as connection:
        invite = connection.execute(
            sa.text("SELECT time_limit_hours, strict, started_at, challenge_version FROM invites")
        ).one()
        submission = connection.execute(
            sa.text("SELECT late, starter_descent FROM submissions")
        ).one()
    assert tuple(invite) == (None, False, None, None)
    assert tuple(submission) == (False, None)
    downgrade(db, "0002")
    with db.engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("invites")}
        tables = set(sa.inspect(connection).get_table_names())
    assert "strict" not in columns
    assert not {"starter_versions", "mail_outbox"} & tables
    db.close()


def test_sqlite_0004_keeps_rows_and_downgrades(tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path), migrate=False)
    _check(db)


@pytest.mark.services
def test_postgres_0004_keeps_rows_and_downgrades(postgres_database: str, tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path, database_url=postgres_database), migrate=False)
    _check(db)
