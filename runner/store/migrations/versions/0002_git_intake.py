"""Git intake: submission provenance, repository bindings, webhook deliveries.

Revision ID: 0002
Revises: 0001

The new submission columns are nullable and carry no foreign key (SQLite adds such columns
without rebuilding the table); `superseded` is a new value of `runs.state`, a plain string.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"

_SUBMISSION_COLUMNS = (
    sa.Column("repo_url", sa.String(length=2048), nullable=True),
    sa.Column("git_ref", sa.String(length=255), nullable=True),
    sa.Column("commit_sha", sa.String(length=64), nullable=True),
    sa.Column("binding_id", sa.String(length=32), nullable=True),
    sa.Column("delivery_id", sa.String(length=200), nullable=True),
    sa.Column("superseded_by", sa.String(length=32), nullable=True),
)


def upgrade() -> None:
    """Add the provenance columns and the two tables."""
    for column in _SUBMISSION_COLUMNS:
        op.add_column("submissions", column)
    op.create_table(
        "repo_bindings",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("invite_id", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("repo_url", sa.String(length=2048), nullable=False),
        sa.Column("branch", sa.String(length=255), nullable=False),
        sa.Column("secret_salt", sa.String(length=64), nullable=False),
        sa.Column("secret_check", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invite_id"],
            ["invites.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["reviewers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_repo_bindings_invite_id"), "repo_bindings", ["invite_id"], unique=False
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("binding_id", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("delivery_key", sa.String(length=200), nullable=False),
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["binding_id"],
            ["repo_bindings.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("binding_id", "delivery_key", name="uq_webhook_deliveries_key"),
    )


def downgrade() -> None:
    """Drop the tables and the columns."""
    op.drop_table("webhook_deliveries")
    op.drop_index(op.f("ix_repo_bindings_invite_id"), table_name="repo_bindings")
    op.drop_table("repo_bindings")
    with op.batch_alter_table("submissions") as batch:
        for column in reversed(_SUBMISSION_COLUMNS):
            batch.drop_column(column.name)
