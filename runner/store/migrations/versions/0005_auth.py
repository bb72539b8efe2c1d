"""Authentication: session revocation, disabled reviewers, API token expiry and revocation.

Revision ID: 0005
Revises: 0004

A reviewer gets a session generation (bumped on logout and disable: older session cookies are
refused) and a disabled time; an API token gets an expiry, a revocation time and a last-use
time. Every column is nullable or carries a server default (SQLite adds them without rebuilding
a table). Tokens made before this revision never expired: they are given an expiry
`_BACKFILL_DAYS` after the upgrade, the default lifetime of a new token.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"

_BACKFILL_DAYS = 90

_COLUMNS = {
    "reviewers": (
        sa.Column("session_generation", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("disabled_at", sa.DateTime(), nullable=True),
    ),
    "api_tokens": (
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
    ),
}


def upgrade() -> None:
    """Add the columns; give the existing API tokens an expiry."""
    for table, columns in _COLUMNS.items():
        for column in columns:
            op.add_column(table, column)
    expires = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=_BACKFILL_DAYS)
    op.execute(
        sa.text("UPDATE api_tokens SET expires_at = :expires WHERE expires_at IS NULL").bindparams(
            expires=expires
        )
    )


def downgrade() -> None:
    """Drop the columns (plain ALTER TABLE ... DROP COLUMN, as 0004)."""
    for table, columns in _COLUMNS.items():
        for column in reversed(columns):
            op.drop_column(table, column.name)
