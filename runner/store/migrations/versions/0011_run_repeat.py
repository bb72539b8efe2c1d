"""Repeated hidden-test runs: a run's `repeat` (how many times it runs the hidden tests).

Revision ID: 0011
Revises: 0010

One column with a server default, so SQLite adds it without rebuilding `runs` and every
existing run stays as it was (one run of the hidden tests).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision: str | None = "0010"


def upgrade() -> None:
    """Add `runs.repeat` (1 for every existing run)."""
    op.add_column(
        "runs", sa.Column("repeat", sa.Integer(), server_default=sa.text("1"), nullable=False)
    )


def downgrade() -> None:
    """Drop `runs.repeat` (plain DROP COLUMN: a batch rebuild of `runs` would drop a table
    other tables' foreign keys point at)."""
    op.drop_column("runs", "repeat")
