"""The candidate's journey: the clock, starter versions, starter descent, the mail outbox.

Revision ID: 0004
Revises: 0003 (the reviews migration; written against 0002 and rechained when the branches merged)

New columns are nullable or carry a server default (SQLite adds them without rebuilding the
table): an invite's challenge version, time limit, strict flag, start time and e-mail; a
submission's late flag and starter descent; a reviewer's "graded" e-mail opt-in (since when).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"

_COLUMNS = {
    "invites": (
        sa.Column("challenge_version", sa.String(length=71), nullable=True),
        sa.Column("time_limit_hours", sa.Float(), nullable=True),
        sa.Column("strict", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
    ),
    "submissions": (
        sa.Column("late", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("starter_descent", sa.String(length=16), nullable=True),
    ),
    "reviewers": (sa.Column("notify_graded_since", sa.DateTime(), nullable=True),),
}


def upgrade() -> None:
    """Add the columns and the two tables."""
    for table, columns in _COLUMNS.items():
        for column in columns:
            op.add_column(table, column)
    op.create_table(
        "starter_versions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("challenge_id", sa.String(length=64), nullable=False),
        sa.Column("version_hash", sa.String(length=71), nullable=False),
        sa.Column("commit_sha", sa.String(length=64), nullable=False),
        sa.Column("snapshot_digest", sa.String(length=71), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("challenge_id", "version_hash", name="uq_starter_versions_version"),
    )
    op.create_index(
        op.f("ix_starter_versions_commit_sha"), "starter_versions", ["commit_sha"], unique=False
    )
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("invite_id", sa.String(length=32), nullable=True),
        sa.Column("submission_id", sa.String(length=32), nullable=True),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "submission_id", "recipient", name="uq_mail_outbox_notice"),
    )
    op.create_index(op.f("ix_mail_outbox_invite_id"), "mail_outbox", ["invite_id"], unique=False)
    op.create_index(
        "ix_mail_outbox_due", "mail_outbox", ["sent_at", "failed", "not_before"], unique=False
    )


def downgrade() -> None:
    """Drop the tables and the columns."""
    op.drop_index("ix_mail_outbox_due", table_name="mail_outbox")
    op.drop_index(op.f("ix_mail_outbox_invite_id"), table_name="mail_outbox")
    op.drop_table("mail_outbox")
    op.drop_index(op.f("ix_starter_versions_commit_sha"), table_name="starter_versions")
    op.drop_table("starter_versions")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch rebuild of `invites` would drop
    # a table other tables' foreign keys point at.
    for table, columns in _COLUMNS.items():
        for column in reversed(columns):
            op.drop_column(table, column.name)
