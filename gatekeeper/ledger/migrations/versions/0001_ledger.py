"""Ledger: access requests, their events and idempotency keys.

Revision ID: 0001_ledger
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gatekeeper.ledger.models import UTCDateTime

revision = "0001_ledger"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_requests",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("customer", sa.String(100), nullable=False),
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("requester_subject", sa.String(200), nullable=False),
        sa.Column("requester_organisation", sa.String(100), nullable=True),
        sa.Column("state", sa.String(40), nullable=False),
        sa.Column("request_json", sa.JSON(), nullable=False),
        sa.Column("decision_json", sa.JSON(), nullable=False),
        sa.Column("policy_revision", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("parent_id", sa.String(36), nullable=True),
        sa.Column("alternative_id", sa.String(100), nullable=True),
        sa.Column("approvals_needed", sa.Integer(), nullable=False),
        sa.Column("grant_json", sa.JSON(), nullable=False),
        sa.Column("grant_starts_at", UTCDateTime(), nullable=True),
        sa.Column("grant_ends_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["access_requests.id"],
            name="fk_access_requests_parent_id_access_requests",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_access_requests"),
    )
    op.create_index("ix_access_requests_created", "access_requests", ["created_at", "id"])
    op.create_index(
        "ix_access_requests_customer_created", "access_requests", ["customer", "created_at"]
    )
    op.create_index("ix_access_requests_requester", "access_requests", ["requester_subject"])
    op.create_index("ix_access_requests_state_ends", "access_requests", ["state", "grant_ends_at"])
    op.create_index("ix_access_requests_parent", "access_requests", ["parent_id"])

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("from_state", sa.String(40), nullable=True),
        sa.Column("to_state", sa.String(40), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details_json", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_requests.id"],
            name="fk_events_request_id_access_requests",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.UniqueConstraint("request_id", "seq", name="uq_events_request_seq"),
    )
    op.create_index("ix_events_request_id", "events", ["request_id"])

    op.create_table(
        "idempotency_keys",
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=False),
        sa.Column("response_json", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_requests.id"],
            name="fk_idempotency_keys_request_id_access_requests",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subject", "key", name="pk_idempotency_keys"),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_index("ix_events_request_id", table_name="events")
    op.drop_table("events")
    for name in (
        "ix_access_requests_parent",
        "ix_access_requests_state_ends",
        "ix_access_requests_requester",
        "ix_access_requests_customer_created",
        "ix_access_requests_created",
    ):
        op.drop_index(name, table_name="access_requests")
    op.drop_table("access_requests")
