"""Migration 0005 (authentication) on SQLite and PostgreSQL: a reviewer and an API token written
before it keep their rows; the reviewer reads as enabled at session generation 0, the token gets
an expiry in the future and is neither revoked nor used; it downgrades cleanly."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from runner.settings import Settings
from runner.store import Database, open_database
from runner.store.models import utcnow
from tests.migrations import downgrade

_ROWS = (
    "INSERT INTO reviewers (id, email, password_hash, created_at)"
    " VALUES ('r1', 'a@example.com', 'x', :now)",
    "INSERT INTO api_tokens (id, reviewer_id, token_hash, created_at)"
    " VALUES ('t1', 'r1', 'digest', :now)",
)


def _check(db: Database) -> None:
    db.migrate("0004")
    with db.engine.begin() as connection:
        for statement in _ROWS:
            connection.execute(sa.text(statement), {"now": datetime(2024, 1, 2, 3, 4, 5)})
    db.migrate("0005")
    with db.engine.connect() as connection:
        reviewer = connection.execute(
            sa.text("SELECT email, session_generation, disabled_at FROM reviewers")
        ).one()
        token = connection.execute(
            sa.text("SELECT token_hash, expires_at, revoked_at, last_used_at FROM api_tokens")
        ).one()
    assert tuple(reviewer) == ("a@example.com", 0, None)
    assert token[0] == "digest"
    expires = token[1] if isinstance(token[1], datetime) else datetime.fromisoformat(token[1])
    assert expires > utcnow()  # SQLite reads a raw DATETIME back as text
    assert tuple(token[2:]) == (None, None)
    downgrade(db, "0004")
    with db.engine.connect() as connection:
        inspector = sa.inspect(connection)
        reviewer_columns = {c["name"] for c in inspector.get_columns("reviewers")}
        token_columns = {c["name"] for c in inspector.get_columns("api_tokens")}
        count = connection.execute(sa.text("SELECT count(*) FROM api_tokens")).scalar()
    assert not {"session_generation", "disabled_at"} & reviewer_columns
    assert not {"expires_at", "revoked_at", "last_used_at"} & token_columns
    assert count == 1
    db.close()


def test_sqlite_0005_keeps_rows_and_downgrades(tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path), migrate=False)
    _check(db)


@pytest.mark.services
def test_postgres_0005_keeps_rows_and_downgrades(postgres_database: str, tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path, database_url=postgres_database), migrate=False)
    _check(db)
