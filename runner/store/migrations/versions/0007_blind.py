"""Blind review: an invite's `blind` flag.

Revision ID: 0007
Revises: 0004 (written against 0004; the integrator rechains it onto whatever lands before)

One column with a server default, so SQLite adds it without rebuilding `invites` and every
existing invite stays as it was (not blind).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0004"


def upgrade() -> None:
    """Add `invites.blind` (false for every existing invite)."""
    op.add_column(
        "invites", sa.Column("blind", sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade() -> None:
    """Drop `invites.blind` (plain DROP COLUMN: a batch rebuild of `invites` would drop a table
    other tables' foreign keys point at)."""
    op.drop_column("invites", "blind")
