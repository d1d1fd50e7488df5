"""Requesters' feedback on answers and ended grants (issue 20).

Revision ID: 0004_feedback
Revises: 0003_outbox
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gatekeeper.ledger.models import UTCDateTime

revision = "0004_feedback"
down_revision = "0003_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("customer", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("helped", sa.Boolean(), nullable=False),
        sa.Column("got_what_needed", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["access_requests.id"], ondelete="CASCADE",
                                name="fk_feedback_request_id_access_requests"),
        sa.PrimaryKeyConstraint("request_id", "stage", name="pk_feedback"),
    )
    op.create_index("ix_feedback_customer_at", "feedback", ["customer", "at"])


def downgrade() -> None:
    op.drop_index("ix_feedback_customer_at", table_name="feedback")
    op.drop_table("feedback")
