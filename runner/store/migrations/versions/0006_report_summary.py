"""Report summaries: `reports.summary_json`, backfilled from each stored report.

Revision ID: 0006
Revises: 0005

The column is nullable (SQLite adds it without rebuilding the table). Every existing report is
read with `Report.from_stored` (any schema version this code knows) and its summary written
(`runner.store.summary.ReportSummary`); a report that does not read stays NULL, and its views
then show no scores, as they did for an unreadable report before. Rows are read in batches, so
a large table is not loaded at once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from graders.model import Report
from runner.store.summary import ReportSummary

revision = "0006"
down_revision: str | None = "0005"

_BATCH = 200


def _summary(text: str) -> str | None:
    try:
        return ReportSummary.of(Report.from_stored(text)).to_json()
    except ValueError:  # not JSON, a schema version this code does not know, or not a report
        return None


def upgrade() -> None:
    """Add the column and fill it for every stored report."""
    op.add_column("reports", sa.Column("summary_json", sa.Text(), nullable=True))
    connection = op.get_bind()
    reports = sa.table(
        "reports",
        sa.column("id", sa.String),
        sa.column("json", sa.Text),
        sa.column("summary_json"),
    )
    last = ""
    while True:
        rows = connection.execute(
            sa.select(reports.c.id, reports.c.json)
            .where(reports.c.id > last)
            .order_by(reports.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        for report_id, text in rows:
            summary = _summary(text)
            if summary is not None:
                connection.execute(
                    reports.update().where(reports.c.id == report_id).values(summary_json=summary)
                )
        last = rows[-1][0]


def downgrade() -> None:
    """Drop the column (plain ALTER TABLE ... DROP COLUMN, SQLite 3.35+)."""
    op.drop_column("reports", "summary_json")
