"""Persistence of access requests and their history (SQLite by default, PostgreSQL to scale out).

Imports SQLAlchemy and the domain, never Flask or the service layer.
"""

from gatekeeper.ledger.database import Database, default_url, is_sqlite, redact_url
from gatekeeper.ledger.migrate import current_revision, downgrade, head_revision, upgrade
from gatekeeper.ledger.records import (
    Change,
    Event,
    IdempotencyConflict,
    Ledger,
    NewRequest,
    Page,
    RequestQuery,
    RequestRecord,
    Situation,
    SituationQuery,
    Step,
    StoredResponse,
)
from gatekeeper.ledger.sql import SqlLedger


def open_ledger(url: str, auto_upgrade: bool | None = None) -> SqlLedger:
    """A ledger on ``url``; an embedded SQLite database is migrated at once unless told not to."""
    db = Database(url)
    if auto_upgrade if auto_upgrade is not None else db.is_sqlite:
        upgrade(db)
        db.dispose()  # a preforking server must not hand this pool to its workers
    return SqlLedger(db)


__all__ = [
    "Change",
    "Database",
    "Event",
    "IdempotencyConflict",
    "Ledger",
    "NewRequest",
    "Page",
    "RequestQuery",
    "RequestRecord",
    "Situation",
    "SituationQuery",
    "SqlLedger",
    "Step",
    "StoredResponse",
    "current_revision",
    "default_url",
    "downgrade",
    "head_revision",
    "is_sqlite",
    "open_ledger",
    "redact_url",
    "upgrade",
]
