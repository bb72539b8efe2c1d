"""Migration 0006 (report summaries) on SQLite and PostgreSQL: reports stored before it get their
summary from their JSON (of either schema version), a report that does not read stays NULL, and
it downgrades cleanly."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from graders.model import Report
from runner.settings import Settings
from runner.store import Database, open_database
from runner.store.summary import ReportSummary
from tests.migrations import downgrade

_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "reports"
_ROWS = (
    "INSERT INTO submissions (id, challenge_id, source_kind, filename, snapshot_digest,"
    " created_at) VALUES ('s1', 'calculator', 'upload', 'a.tgz', 'sha256:00', :now)",
    "INSERT INTO runs (id, submission_id, state, attempts, not_before, created_at)"
    " VALUES ('u1', 's1', 'done', 1, :now, :now)",
    "INSERT INTO runs (id, submission_id, state, attempts, not_before, created_at)"
    " VALUES ('u2', 's1', 'done', 1, :now, :now)",
    "INSERT INTO runs (id, submission_id, state, attempts, not_before, created_at)"
    " VALUES ('u3', 's1', 'done', 1, :now, :now)",
)
_REPORT = (
    'INSERT INTO reports (id, run_id, submission_id, score, json, "current", created_at)'
    " VALUES (:id, :run, 's1', 50.0, :json, :current, :now)"
)


def _check(db: Database) -> None:
    db.migrate("0004")
    now = datetime(2024, 1, 2, 3, 4, 5)
    v1 = (_FIXTURES / "report-v1.json").read_text()
    reports = [("p1", "u1", v1, False), ("p2", "u2", "{}", False), ("p3", "u3", "[1", True)]
    with db.engine.begin() as connection:
        for statement in _ROWS:
            connection.execute(sa.text(statement), {"now": now})
        for report_id, run, text, current in reports:
            values = {"id": report_id, "run": run, "json": text, "current": current, "now": now}
            connection.execute(sa.text(_REPORT), values)
    db.migrate("0006")
    with db.engine.connect() as connection:
        query = sa.text("SELECT id, summary_json FROM reports")
        rows: dict[str, str | None] = {i: s for i, s in connection.execute(query).all()}
    assert rows["p2"] is None  # not a report
    assert rows["p3"] is None  # not JSON
    # A version-1 report (no schema_version), read through Report.from_stored's upgrade.
    stored = rows["p1"]
    assert stored is not None
    summary = ReportSummary.from_json(stored)
    assert summary == ReportSummary.of(Report.from_stored(v1))
    assert (summary.score, summary.categories["coverage"]) == (75.0, 92.5)
    assert summary.tests[1] == ("tests/test_expression.py::test_precedence", "passed")
    downgrade(db, "0004")
    with db.engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("reports")}
        count = connection.execute(sa.text("SELECT count(*) FROM reports")).scalar()
    assert "summary_json" not in columns
    assert count == 3
    db.close()


def test_sqlite_0006_backfills_and_downgrades(tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path), migrate=False)
    _check(db)


@pytest.mark.services
def test_postgres_0006_backfills_and_downgrades(postgres_database: str, tmp_path: Path) -> None:
    db = open_database(Settings(data_dir=tmp_path, database_url=postgres_database), migrate=False)
    _check(db)
