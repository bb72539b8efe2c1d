"""Migration 0007 (blind review) on SQLite and PostgreSQL: an invite written before it keeps its
row and reads as not blind; a blind invite can be written after it; it downgrades cleanly."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from runner.settings import Settings
from runner.store import Database, open_database
from tests.migrations import downgrade

_INVITE = (
    "INSERT INTO invites (id, challenge_id, candidate, token_hash, expires_at, max_submissions,"
    " created_at) VALUES (:id, 'calculator', 'Ada', :id, :now, 3, :now)"
)
_NOW = datetime(2024, 1, 2, 3, 4, 5)


def _check(db: Database) -> None:
    db.migrate("0004")
    with db.engine.begin() as connection:
        connection.execute(sa.text(_INVITE), {"id": "before", "now": _NOW})
    db.migrate("0007")
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                _INVITE.replace("created_at)", "created_at, blind)").replace(
                    ":now)", ":now, true)"
                )
            ),
            {"id": "after", "now": _NOW},
        )
        rows = connection.execute(sa.text("SELECT id, blind FROM invites ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [("after", True), ("before", False)]
    downgrade(db, "0004")
    with db.engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("invites")}
        count = connection.execute(sa.text("SELECT count(*) FROM invites")).scalar()
    assert "blind" not in columns
    assert count == 2
    db.close()


def test_sqlite_0007_keeps_rows_and_downgrades(tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path), migrate=False)
    _check(db)


@pytest.mark.services
def test_postgres_0007_keeps_rows_and_downgrades(postgres_database: str, tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path, database_url=postgres_database), migrate=False)
    _check(db)
