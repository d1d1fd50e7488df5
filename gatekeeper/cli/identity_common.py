"""What ``gatekeeper tokens`` and ``gatekeeper users`` share: the identity service on the DB."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click

from gatekeeper.cli.common import CliError, default_policies, describe_error
from gatekeeper.cli.database import resolve_url
from gatekeeper.domain import GatekeeperError
from gatekeeper.domain.request import format_timestamp
from gatekeeper.engine import load_bundle
from gatekeeper.ledger import current_revision, head_revision, open_ledger, redact_url
from gatekeeper.ledger.identity_sql import SqlIdentityStore
from gatekeeper.service.identity import IdentityService


@contextmanager
def identity_service(database_url: str | None, label: str) -> Iterator[IdentityService]:
    """The identity service on the ledger's database; errors become one-line CLI errors."""
    url = resolve_url(database_url)
    try:
        ledger = open_ledger(url)  # an embedded SQLite database is migrated here
    except GatekeeperError as exc:
        raise CliError(describe_error("database", exc)) from None
    try:
        at = current_revision(ledger.db)
        if at != head_revision():
            raise CliError(f"{redact_url(url)} is at migration {at or 'nothing'}, not "
                           f"{head_revision()}: run `gatekeeper db upgrade` first")
        yield IdentityService(SqlIdentityStore(ledger.db))
    except GatekeeperError as exc:
        raise CliError(describe_error(label, exc)) from None
    finally:
        ledger.close()


def warn_unknown_customer(customer: str | None) -> None:
    """Warn (stderr) when ``customer`` is not a customer of the bundle the service serves
    (``GATEKEEPER_POLICIES``): every request by that identity would be refused. A warning,
    not an error: the customer may be on its way into the bundle."""
    if not customer:
        return
    folder = Path(os.environ.get("GATEKEEPER_POLICIES") or default_policies())
    try:
        known = (load_bundle(folder).data.get("customers") or {}).keys()
    except GatekeeperError:
        return  # a bundle that does not load is reported by serve and check, not here
    if customer not in known:
        shown = ", ".join(sorted(known)) or "none"
        click.echo(f"warning: customer {customer!r} is not in the policy bundle at {folder} "
                   f"(customers: {shown}); its requests are refused until it is", err=True)


def when(value: datetime | None) -> str | None:
    return format_timestamp(value) if value else None
