"""``gatekeeper tokens create | list | revoke``: bearer tokens for programs (CI, integrations)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import click

from gatekeeper.cli.common import CliError
from gatekeeper.cli.database import database_option
from gatekeeper.cli.identity_common import check_served_customer, identity_service, when
from gatekeeper.domain.request import parse_timestamp
from gatekeeper.domain.roles import ROLES
from gatekeeper.ledger.identity_sql import TokenRecord

_LIFETIME = re.compile(r"^(\d+)([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_expiry(value: str | None, now: datetime) -> datetime | None:
    """``90d``, ``12h``, ``30m`` from now, or an RFC 3339 time; None means never."""
    if not value:
        return None
    match = _LIFETIME.match(value.strip())
    if match:
        return now + timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        return parse_timestamp(value)
    except ValueError:
        raise CliError(f"--expires: {value!r} is neither a lifetime such as 90d, 12h or 30m "
                       "nor an RFC 3339 time") from None


def status(token: TokenRecord, now: datetime) -> str:
    if token.revoked_at:
        return "revoked"
    if token.expires_at and token.expires_at <= now:
        return "expired"
    return "active"


def token_dict(token: TokenRecord, now: datetime) -> dict[str, object]:
    return {"id": token.id, "name": token.name, "role": token.role,
            "customer": token.customer, "prefix": token.prefix, "status": status(token, now),
            "created_at": when(token.created_at), "expires_at": when(token.expires_at),
            "revoked_at": when(token.revoked_at), "last_used_at": when(token.last_used_at)}


@click.group("tokens")
def tokens() -> None:
    """Bearer API tokens: the token is shown once, only its hash is stored."""


@tokens.command("create")
@click.option("--name", required=True, help="A unique name, e.g. ci-acme-pipeline.")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the token may do.")
@click.option("--customer", help="The customer organisation (required for --role customer).")
@click.option("--expires", help="Lifetime (90d, 12h, 30m) or an RFC 3339 time; default never.")
@click.option("--json", "as_json", is_flag=True, help="Print the token and its record as JSON.")
@database_option
def create_command(name: str, role: str, customer: str | None, expires: str | None,
                   as_json: bool, database_url: str | None) -> None:
    """Create a token and print it once (stdout); store it in a secret store at once."""
    now = datetime.now(UTC)
    check_served_customer(customer)
    with identity_service(database_url, "tokens") as service:
        issued = service.create_token(name, role, customer, parse_expiry(expires, now))
    if as_json:
        click.echo(json.dumps({"token": issued.token, **token_dict(issued.record, now)},
                              indent=2))
    else:
        click.echo(issued.token)
    scope = f"{role}" + (f" of {customer}" if customer else "")
    click.echo(f"created token {name} ({scope}, prefix {issued.record.prefix}); it is shown "
               "only this once", err=True)


@tokens.command("list")
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked tokens.")
@click.option("--json", "as_json", is_flag=True, help="Print the tokens as JSON.")
@database_option
def list_command(include_revoked: bool, as_json: bool, database_url: str | None) -> None:
    """List tokens (never the tokens themselves: their prefix, role and use)."""
    now = datetime.now(UTC)
    with identity_service(database_url, "tokens") as service:
        found = service.list_tokens(include_revoked)
    if as_json:
        click.echo(json.dumps([token_dict(t, now) for t in found], indent=2))
        return
    if not found:
        click.echo("no tokens")
    for t in found:
        row = token_dict(t, now)
        click.echo(f"{t.prefix}…  {t.name:<28} {t.role:<9} {t.customer or '-':<16} "
                   f"{row['status']:<8} created {row['created_at']}  "
                   f"expires {row['expires_at'] or 'never'}  "
                   f"last used {row['last_used_at'] or 'never'}")


@tokens.command("revoke")
@click.argument("ref")
@database_option
def revoke_command(ref: str, database_url: str | None) -> None:
    """Revoke a token by id, name or prefix; it is refused (401) from the next request on."""
    with identity_service(database_url, "tokens") as service:
        token = service.revoke_token(ref)
    click.echo(f"revoked token {token.name} ({token.prefix}…)")


def register(group: click.Group) -> None:
    group.add_command(tokens)
