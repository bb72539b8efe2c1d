"""Git history: a Git submission's newest commits, one JSON row per submission.

Revision ID: 0010
Revises: 0009

A table of its own (not a column on `submissions`): nothing existing is rebuilt, and a
submission made before it simply has no history (the page says so).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision: str | None = "0009"


def upgrade() -> None:
    """Create `submission_histories`."""
    op.create_table(
        "submission_histories",
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"]),
        sa.PrimaryKeyConstraint("submission_id"),
    )


def downgrade() -> None:
    """Drop `submission_histories` (the histories are lost; the submissions stay)."""
    op.drop_table("submission_histories")
