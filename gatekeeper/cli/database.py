"""``gatekeeper db upgrade | current``: the ledger's schema, migrated with Alembic."""

from __future__ import annotations

from typing import Any

import click

from gatekeeper.cli.common import CliError, cli_services
from gatekeeper.domain import GatekeeperError
from gatekeeper.ledger import current_revision, head_revision, redact_url, upgrade


def database_option(f: Any) -> Any:
    return click.option(
        "--database-url",
        default=None,
        help="SQLAlchemy URL (default: GATEKEEPER_DATABASE_URL, else SQLite in the instance "
             "folder).",
    )(f)


@click.group("db")
def db() -> None:
    """The ledger database."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target migration.")
@database_option
def upgrade_command(revision: str, database_url: str | None) -> None:
    """Create or migrate the ledger's tables (SQLite or PostgreSQL)."""
    with cli_services(database_url=database_url) as services:
        url = redact_url(services.database_url)
        try:
            reached = upgrade(services.database, revision)
        except GatekeeperError as exc:
            raise CliError(f"{url}: {exc.detail}") from None
    click.echo(f"{url}: at revision {reached}")


@db.command("current")
@database_option
def current_command(database_url: str | None) -> None:
    """Print the database's migration and whether it is the newest; exit 1 if behind."""
    with cli_services(database_url=database_url) as services:
        url = redact_url(services.database_url)
        try:
            at = current_revision(services.database)
        except GatekeeperError as exc:
            raise CliError(f"{url}: {exc.detail}") from None
    head = head_revision()
    click.echo(f"{url}: at {at or 'nothing'}, newest {head}")
    if at != head:
        raise SystemExit(1)


def register(group: click.Group) -> None:
    group.add_command(db)
