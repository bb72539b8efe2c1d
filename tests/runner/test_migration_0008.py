"""Migration 0008 (outbound events) on SQLite and PostgreSQL: the rows written before it stay,
an endpoint, a delivery and an attempt can be written after it, a delivery is unique per
(endpoint, event, key), and it downgrades cleanly (the three tables gone, the rest kept)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from runner.settings import Settings
from runner.store import Database, open_database
from tests.migrations import downgrade

_NOW = datetime(2024, 1, 2, 3, 4, 5)
_TABLES = {"event_endpoints", "event_deliveries", "event_attempts"}
_INVITE = (
    "INSERT INTO invites (id, challenge_id, candidate, token_hash, expires_at, max_submissions,"
    " created_at) VALUES ('i1', 'calculator', 'Ada', 'i1', :now, 3, :now)"
)
_ENDPOINT = (
    "INSERT INTO event_endpoints (id, url, secret, events, created_at)"
    " VALUES ('e1', 'https://ats.example.com/hook', 's', 'invite.started', :now)"
)
_DELIVERY = (
    "INSERT INTO event_deliveries (id, endpoint_id, event, event_key, body, state, attempts,"
    " next_at, created_at) VALUES (:id, 'e1', 'invite.started', 'i1', '{}', 'pending', 0,"
    " :now, :now)"
)
_ATTEMPT = (
    "INSERT INTO event_attempts (id, delivery_id, number, started_at, duration_ms, status_code,"
    " redelivery) VALUES ('a1', 'd1', 1, :now, 12.5, 500, false)"
)


def _tables(db: Database) -> set[str]:
    with db.engine.connect() as connection:
        return set(sa.inspect(connection).get_table_names())


def _check(db: Database) -> None:
    db.migrate("0007")
    with db.engine.begin() as connection:
        connection.execute(sa.text(_INVITE), {"now": _NOW})
    db.migrate("0008")
    assert _tables(db) >= _TABLES
    with db.engine.begin() as connection:
        for statement in (_ENDPOINT, _DELIVERY, _ATTEMPT):
            connection.execute(sa.text(statement), {"now": _NOW, "id": "d1"})
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(sa.text(_DELIVERY), {"now": _NOW, "id": "d2"})
    with db.engine.connect() as connection:
        status = connection.execute(sa.text("SELECT status_code FROM event_attempts")).scalar()
    assert status == 500
    downgrade(db, "0007")
    assert not (_TABLES & _tables(db))
    with db.engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM invites")).scalar()
    assert count == 1
    db.close()


def test_sqlite_0008_adds_the_outbox_and_downgrades(tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path), migrate=False)
    _check(db)


@pytest.mark.services
def test_postgres_0008_adds_the_outbox_and_downgrades(
    postgres_database: str, tmp_path: Path
) -> None:
    db = open_database(Settings(data_dir=tmp_path, database_url=postgres_database), migrate=False)
    _check(db)
