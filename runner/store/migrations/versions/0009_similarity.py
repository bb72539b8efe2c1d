"""Similarity across submissions: the fingerprint index, checks and similar pairs.

Revision ID: 0009
Revises: 0008

Three new tables (`runner.store.similarity`); nothing existing changes, so the downgrade drops
them and every other row stays.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision: str | None = "0008"


def upgrade() -> None:
    """Create `similarity_fingerprints`, `similarity_checks` and `similarity_pairs`."""
    op.create_table(
        "similarity_fingerprints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("challenge_id", sa.String(length=64), nullable=False),
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("hash", sa.BigInteger(), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("first_line", sa.Integer(), nullable=False),
        sa.Column("last_line", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_similarity_fingerprints_lookup",
        "similarity_fingerprints",
        ["challenge_id", "hash"],
        unique=False,
    )
    op.create_index(
        op.f("ix_similarity_fingerprints_submission_id"),
        "similarity_fingerprints",
        ["submission_id"],
        unique=False,
    )
    op.create_table(
        "similarity_checks",
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("challenge_id", sa.String(length=64), nullable=False),
        sa.Column("invite_id", sa.String(length=32), nullable=True),
        sa.Column("version_hash", sa.String(length=71), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("fingerprints", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"]),
        sa.PrimaryKeyConstraint("submission_id"),
    )
    op.create_index(
        op.f("ix_similarity_checks_challenge_id"),
        "similarity_checks",
        ["challenge_id"],
        unique=False,
    )
    op.create_table(
        "similarity_pairs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("challenge_id", sa.String(length=64), nullable=False),
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("other_submission_id", sa.String(length=32), nullable=True),
        sa.Column("other_kind", sa.String(length=16), nullable=False),
        sa.Column("other_name", sa.String(length=255), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("regions", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["other_submission_id"], ["submissions.id"]),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("challenge_id", "submission_id", "other_submission_id"):
        op.create_index(
            op.f(f"ix_similarity_pairs_{column}"), "similarity_pairs", [column], unique=False
        )


def downgrade() -> None:
    """Drop the three tables (and their indexes)."""
    for column in ("challenge_id", "submission_id", "other_submission_id"):
        op.drop_index(op.f(f"ix_similarity_pairs_{column}"), table_name="similarity_pairs")
    op.drop_table("similarity_pairs")
    op.drop_index(op.f("ix_similarity_checks_challenge_id"), table_name="similarity_checks")
    op.drop_table("similarity_checks")
    op.drop_index(
        op.f("ix_similarity_fingerprints_submission_id"), table_name="similarity_fingerprints"
    )
    op.drop_index("ix_similarity_fingerprints_lookup", table_name="similarity_fingerprints")
    op.drop_table("similarity_fingerprints")
