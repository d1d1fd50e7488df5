"""Alembic environment: runs on the connection that ``gatekeeper.ledger.migrate`` passes in."""

from __future__ import annotations

from alembic import context

from gatekeeper.ledger import identity_models, outbox_models  # noqa: F401 - tables join Base.metadata
from gatekeeper.ledger.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `gatekeeper db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
