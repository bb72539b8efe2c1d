"""Migration 0009 (similarity) on SQLite and PostgreSQL: the three tables appear with their
lookup index, take rows, and the downgrade drops them and leaves the submissions alone."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from runner.settings import Settings
from runner.store import Database, open_database
from runner.store.db import migrations_config
from tests.migrations import downgrade

_NOW = datetime(2024, 1, 2, 3, 4, 5)
_TABLES = {"similarity_fingerprints", "similarity_checks", "similarity_pairs"}
_ROWS = (
    "INSERT INTO submissions (id, challenge_id, source_kind, filename, snapshot_digest,"
    " created_at) VALUES ('s1', 'calculator', 'upload', 'a.zip', 'sha256:00', :now)",
    "INSERT INTO similarity_fingerprints (challenge_id, submission_id, hash, path, first_line,"
    " last_line) VALUES ('calculator', 's1', -9223372036854775808, 'a.py', 1, 3)",
    "INSERT INTO similarity_checks (submission_id, challenge_id, version_hash, state,"
    " fingerprints, checked_at) VALUES ('s1', 'calculator', 'sha256:v', 'done', 1, :now)",
    "INSERT INTO similarity_pairs (id, challenge_id, submission_id, other_kind, other_name,"
    " score, matched, regions, created_at) VALUES ('p1', 'calculator', 's1', 'reference',"
    " 'reference', 1.0, 1, '[]', :now)",
)


def _before() -> str:
    """The revision 0009 follows (the chain is relinked when sibling migrations land)."""
    found = ScriptDirectory.from_config(migrations_config()).get_revision("0009").down_revision
    assert isinstance(found, str)
    return found


def _tables(db: Database) -> set[str]:
    with db.engine.connect() as connection:
        return set(sa.inspect(connection).get_table_names())


def _check(db: Database) -> None:
    db.migrate("0009")
    assert _tables(db) >= _TABLES
    with db.engine.begin() as connection:
        for row in _ROWS:
            connection.execute(sa.text(row), {"now": _NOW})
        lowest = connection.execute(sa.text("SELECT hash FROM similarity_fingerprints")).scalar()
        indexes = sa.inspect(connection).get_indexes("similarity_fingerprints")
    assert lowest == -(2**63)  # a full signed 64-bit hash fits
    assert {"name": "ix_similarity_fingerprints_lookup", "columns": ["challenge_id", "hash"]} in [
        {"name": i["name"], "columns": i["column_names"]} for i in indexes
    ]
    downgrade(db, _before())
    assert not _TABLES & _tables(db)
    with db.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM submissions")).scalar() == 1
    db.close()


def test_sqlite_0009_creates_and_drops_the_tables(tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path), migrate=False)
    _check(db)


@pytest.mark.services
def test_postgres_0009_creates_and_drops_the_tables(
    postgres_database: str, tmp_path: Path
) -> None:
    db = open_database(Settings(data_dir=tmp_path, database_url=postgres_database), migrate=False)
    _check(db)
