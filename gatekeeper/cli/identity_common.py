"""What ``gatekeeper tokens`` and ``gatekeeper users`` share: the identity service on the DB."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import click

from gatekeeper.cli.common import CliError, base_settings, cli_services
from gatekeeper.domain import GatekeeperError
from gatekeeper.domain.request import format_timestamp
from gatekeeper.engine.bundle_archive import load_policy_source
from gatekeeper.ledger import current_revision, head_revision, redact_url
from gatekeeper.service.identity import IdentityService


@contextmanager
def identity_service(database_url: str | None, label: str) -> Iterator[IdentityService]:
    """The identity service on the ledger's database (an embedded SQLite database is
    migrated on opening); errors become one-line CLI errors."""
    with cli_services(label, ledger=True, database_url=database_url) as services:
        at = current_revision(services.ledger.db)
        if at != head_revision():
            raise CliError(f"{redact_url(services.database_url)} is at migration "
                           f"{at or 'nothing'}, not {head_revision()}: "
                           "run `gatekeeper db upgrade` first")
        yield services.identity


def warn_unknown_customer(customer: str | None) -> None:
    """Warn (stderr) when ``customer`` is not a customer of the bundle the service serves
    (``GATEKEEPER_POLICIES``): every request by that identity would be refused. A warning,
    not an error: the customer may be on its way into the bundle."""
    if not customer:
        return
    folder = base_settings().policy_folder
    try:
        known = (load_policy_source(folder).data.get("customers") or {}).keys()
    except GatekeeperError:
        return  # a bundle that does not load is reported by serve and check, not here
    if customer not in known:
        shown = ", ".join(sorted(known)) or "none"
        click.echo(f"warning: customer {customer!r} is not in the policy bundle at {folder} "
                   f"(customers: {shown}); its requests are refused until it is", err=True)


def when(value: datetime | None) -> str | None:
    return format_timestamp(value) if value else None
