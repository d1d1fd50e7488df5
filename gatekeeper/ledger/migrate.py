"""Alembic migrations driven from code: no alembic.ini, the scripts live in ``migrations/``."""

from __future__ import annotations

import logging
from pathlib import Path

import structlog
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from gatekeeper.ledger.database import Database, redact_url

log = structlog.get_logger(__name__)
logging.getLogger("alembic").setLevel(logging.WARNING)  # its INFO lines are not ours to print

SCRIPTS = Path(__file__).with_name("migrations")
_LOCK_ID = 0x6761_7465  # PostgreSQL advisory lock: one migrator at a time


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    return cfg


def head_revision() -> str:
    """The newest migration this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(db: Database) -> str | None:
    """The migration the database is at (None when never migrated)."""
    with db.reachable(), db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _migrate(db: Database, revision: str, downgrade: bool = False) -> str | None:
    cfg = alembic_config()
    before = current_revision(db)
    with db.reachable(), db.engine.execution_options(gatekeeper_write=True).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        cfg.attributes["connection"] = conn
        (command.downgrade if downgrade else command.upgrade)(cfg, revision)
    after = current_revision(db)
    if after != before:
        log.info("database_migrated", url=redact_url(db.url), before=before, after=after)
    return after


def upgrade(db: Database, revision: str = "head") -> str | None:
    """Bring the database to ``revision``; returns the revision it is at afterwards."""
    return _migrate(db, revision)


def downgrade(db: Database, revision: str) -> str | None:
    """Step the database back to ``revision`` (``base`` drops every table)."""
    return _migrate(db, revision, downgrade=True)
