"""An index on idempotency_keys.created_at: pruning expired keys (issue 22) reads by age.

Without it, `gatekeeper expire` and every dispatcher's housekeeping pass scan the whole
table to find the keys older than GATEKEEPER_IDEMPOTENCY_KEY_HOURS.

Revision ID: 0005_idempotency_created
Revises: 0004_feedback
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0005_idempotency_created"
down_revision = "0004_feedback"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_idempotency_keys_created", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_created", table_name="idempotency_keys")
