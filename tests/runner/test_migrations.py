"""Schema migrations on an empty SQLite and PostgreSQL database, and from the first schema.

The migrated schema must equal the models' (Alembic's own comparison finds no difference), and
rows written under revision 0001 must survive the upgrade to head, whatever head is.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from runner.settings import Settings
from runner.store import Base, Database, open_database
from runner.store.db import migrations_config


def _head() -> str:
    head = ScriptDirectory.from_config(migrations_config()).get_current_head()
    assert head is not None
    return head


def _revision(db: Database) -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _differences(db: Database) -> list[object]:
    with db.engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def _open(url: str, tmp_path: Path, *, migrate: bool) -> Database:
    return open_database(Settings(data_dir=tmp_path, database_url=url), migrate=migrate)


def _fill_first_schema(db: Database) -> None:
    """Rows as revision 0001 wrote them: a reviewer, a submission, a finished run, a report."""
    now = datetime(2024, 1, 2, 3, 4, 5)
    rows = [
        (
            "INSERT INTO reviewers (id, email, password_hash, created_at)"
            " VALUES ('r1', 'a@example.com', 'x', :now)"
        ),
        (
            "INSERT INTO submissions (id, challenge_id, source_kind, filename, snapshot_digest,"
            " submitted_by, created_at) VALUES ('s1', 'calculator', 'upload', 'a.tgz',"
            " 'sha256:00', 'r1', :now)"
        ),
        (
            "INSERT INTO runs (id, submission_id, state, attempts, not_before, created_at)"
            " VALUES ('u1', 's1', 'done', 1, :now, :now)"
        ),
        (
            'INSERT INTO reports (id, run_id, submission_id, score, json, "current", created_at)'
            " VALUES ('p1', 'u1', 's1', 87.5, '{}', true, :now)"
        ),
    ]
    with db.engine.begin() as connection:
        for statement in rows:
            connection.execute(sa.text(statement), {"now": now})


def _check_upgrade_keeps_rows(db: Database) -> None:
    db.migrate("0001")
    assert _revision(db) == "0001"
    _fill_first_schema(db)
    db.migrate()
    assert _revision(db) == _head()
    assert _differences(db) == []
    with db.engine.connect() as connection:
        score = connection.execute(sa.text("SELECT score FROM reports WHERE id = 'p1'")).scalar()
        state = connection.execute(sa.text("SELECT state FROM runs WHERE id = 'u1'")).scalar()
    assert (score, state) == (87.5, "done")


def test_sqlite_empty_database_migrates_to_the_models(tmp_path: Path) -> None:
    db = _open("", tmp_path, migrate=True)
    assert _revision(db) == _head()
    assert _differences(db) == []
    db.migrate()  # a second start finds nothing to do
    assert _revision(db) == _head()
    db.close()


def test_sqlite_first_schema_upgrades_with_its_rows(tmp_path: Path) -> None:
    db = _open("", tmp_path, migrate=False)
    _check_upgrade_keeps_rows(db)
    db.close()


@pytest.mark.services
def test_postgres_empty_database_migrates_to_the_models(
    postgres_database: str, tmp_path: Path
) -> None:
    db = _open(postgres_database, tmp_path, migrate=True)
    assert db.engine.dialect.name == "postgresql"
    assert _revision(db) == _head()
    assert _differences(db) == []
    db.migrate()
    assert _revision(db) == _head()
    db.close()


@pytest.mark.services
def test_postgres_first_schema_upgrades_with_its_rows(
    postgres_database: str, tmp_path: Path
) -> None:
    db = _open(postgres_database, tmp_path, migrate=False)
    _check_upgrade_keeps_rows(db)
    db.close()
