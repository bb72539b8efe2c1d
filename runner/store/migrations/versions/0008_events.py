"""Outbound events: endpoints, deliveries (the outbox) and their attempts (the delivery log).

Revision ID: 0008
Revises: 0007

Three new tables and nothing else changed, so the downgrade drops them (attempts first: they
point at deliveries, which point at endpoints).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"


def upgrade() -> None:
    """Create `event_endpoints`, `event_deliveries` and `event_attempts`."""
    op.create_table(
        "event_endpoints",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("events", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(32), sa.ForeignKey("reviewers.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "event_deliveries",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "endpoint_id",
            sa.String(32),
            sa.ForeignKey("event_endpoints.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("event_key", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(100), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("endpoint_id", "event", "event_key", name="uq_event_deliveries_key"),
    )
    op.create_index("ix_event_deliveries_endpoint_id", "event_deliveries", ["endpoint_id"])
    op.create_index("ix_event_deliveries_due", "event_deliveries", ["state", "next_at"])
    op.create_table(
        "event_attempts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "delivery_id",
            sa.String(32),
            sa.ForeignKey("event_deliveries.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("redelivery", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_event_attempts_delivery_id", "event_attempts", ["delivery_id"])


def downgrade() -> None:
    """Drop the three tables (the delivery log goes with them)."""
    op.drop_index("ix_event_attempts_delivery_id", table_name="event_attempts")
    op.drop_table("event_attempts")
    op.drop_index("ix_event_deliveries_due", table_name="event_deliveries")
    op.drop_index("ix_event_deliveries_endpoint_id", table_name="event_deliveries")
    op.drop_table("event_deliveries")
    op.drop_table("event_endpoints")
