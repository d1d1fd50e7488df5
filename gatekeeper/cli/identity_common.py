"""What ``gatekeeper tokens`` and ``gatekeeper users`` share: the identity service on the DB."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from gatekeeper.cli.common import CliError, base_settings, cli_services
from gatekeeper.domain import GatekeeperError
from gatekeeper.domain.request import format_timestamp
from gatekeeper.ledger import current_revision, head_revision, redact_url
from gatekeeper.service.identity import IdentityService
from gatekeeper.service.policy_source import open_source


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


def check_served_customer(customer: str | None) -> None:
    """Refuse (before anything is written) a customer that is not in the customers data of
    the bundle the service serves (``GATEKEEPER_POLICIES``): every request of that identity
    would be refused. A bundle that does not load cannot vouch for it either."""
    if not customer:
        return
    source = open_source(base_settings().policy_location)  # a folder, archive or URL
    folder = source.location
    try:
        bundle = source.fetch()
        known = ((bundle.data if bundle else {}).get("customers") or {}).keys()
    except GatekeeperError as exc:
        raise CliError(f"cannot check customer {customer!r}: the policy bundle at {folder} "
                       f"does not load: {exc}") from None
    if customer not in known:
        shown = ", ".join(sorted(known)) or "none"
        raise CliError(f"customer {customer!r} is not in the policy bundle at {folder} "
                       f"(customers: {shown}); add it to the bundle's customers data first")


def when(value: datetime | None) -> str | None:
    return format_timestamp(value) if value else None
