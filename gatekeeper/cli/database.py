"""``gatekeeper db upgrade | current``: the ledger's schema, migrated with Alembic."""

from __future__ import annotations

import os
from typing import Any

import click

from gatekeeper.cli.common import CliError
from gatekeeper.domain import GatekeeperError
from gatekeeper.ledger import (
    Database,
    current_revision,
    default_url,
    head_revision,
    redact_url,
    upgrade,
)


def instance_path() -> str:
    """The instance folder the app uses (GATEKEEPER_INSTANCE_PATH, else Flask's default)."""
    from flask import Flask

    configured = os.environ.get("GATEKEEPER_INSTANCE_PATH")
    return configured or Flask("gatekeeper.app", instance_relative_config=True).instance_path


def resolve_url(option: str | None) -> str:
    """The URL to use; logs go to stderr so stdout stays clean for --json."""
    from gatekeeper.logging_setup import configure_logging

    configure_logging(None, os.environ.get("GATEKEEPER_LOG_LEVEL", "WARNING"))
    return option or default_url(instance_path())


def database_option(f: Any) -> Any:
    return click.option(
        "--database-url",
        envvar="GATEKEEPER_DATABASE_URL",
        default=None,
        help="SQLAlchemy URL (default: SQLite in the instance folder).",
    )(f)


@click.group("db")
def db() -> None:
    """The ledger database."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target migration.")
@database_option
def upgrade_command(revision: str, database_url: str | None) -> None:
    """Create or migrate the ledger's tables (SQLite or PostgreSQL)."""
    url = resolve_url(database_url)
    database = Database(url)
    try:
        reached = upgrade(database, revision)
    except GatekeeperError as exc:
        raise CliError(f"{redact_url(url)}: {exc.detail}") from None
    finally:
        database.dispose()
    click.echo(f"{redact_url(url)}: at revision {reached}")


@db.command("current")
@database_option
def current_command(database_url: str | None) -> None:
    """Print the database's migration and whether it is the newest; exit 1 if behind."""
    url = resolve_url(database_url)
    database = Database(url)
    try:
        at = current_revision(database)
    except GatekeeperError as exc:
        raise CliError(f"{redact_url(url)}: {exc.detail}") from None
    finally:
        database.dispose()
    head = head_revision()
    click.echo(f"{redact_url(url)}: at {at or 'nothing'}, newest {head}")
    if at != head:
        raise SystemExit(1)


def register(group: click.Group) -> None:
    group.add_command(db)
