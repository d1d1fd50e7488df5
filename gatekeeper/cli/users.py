"""``gatekeeper users``: accounts for the web doors (passwords hashed with Argon2id)."""

from __future__ import annotations

import json
import sys

import click

from gatekeeper.cli.common import CliError
from gatekeeper.cli.database import database_option
from gatekeeper.cli.identity_common import check_served_customer, identity_service, when
from gatekeeper.domain.roles import ROLES
from gatekeeper.ledger.identity_sql import UserRecord

_stdin_option = click.option(
    "--password-stdin", is_flag=True,
    help="Read the password from the first line of stdin instead of prompting.")


def read_password(from_stdin: bool) -> str:
    """Never from an option (it would land in shell history): a prompt, or stdin."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CliError("--password-stdin: nothing on stdin")
        return line.rstrip("\r\n")
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


def user_dict(user: UserRecord) -> dict[str, object]:
    return {"username": user.username, "name": user.display_name, "role": user.role,
            "customer": user.customer, "disabled": user.disabled_at is not None,
            "created_at": when(user.created_at), "last_sign_in_at": when(user.last_sign_in_at)}


@click.group("users")
def users() -> None:
    """User accounts for the customer pages and the approvals console."""


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--customer", help="The customer organisation (required for --role customer).")
@click.option("--name", "display_name", default="", help="Display name, e.g. 'Alice Jansen'.")
@_stdin_option
@database_option
def create_command(username: str, role: str, customer: str | None, display_name: str,
                   password_stdin: bool, database_url: str | None) -> None:
    """Create an account (the password is prompted for, twice)."""
    password = read_password(password_stdin)
    check_served_customer(customer)
    with identity_service(database_url, "users") as service:
        user = service.create_user(username, role, password, customer, display_name)
    click.echo(f"created user {user.username} ({user.role}"
               + (f" of {user.customer})" if user.customer else ")"))


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the accounts as JSON.")
@database_option
def list_command(as_json: bool, database_url: str | None) -> None:
    """List accounts."""
    with identity_service(database_url, "users") as service:
        found = service.list_users()
    if as_json:
        click.echo(json.dumps([user_dict(u) for u in found], indent=2))
        return
    if not found:
        click.echo("no users")
    for u in found:
        row = user_dict(u)
        state = "disabled" if row["disabled"] else "active"
        click.echo(f"{u.username:<32} {u.role:<9} {u.customer or '-':<16} {state:<8} "
                   f"last sign-in {row['last_sign_in_at'] or 'never'}")


@users.command("set-password")
@click.argument("username")
@_stdin_option
@database_option
def set_password_command(username: str, password_stdin: bool, database_url: str | None) -> None:
    """Replace a password; the account's open sessions end."""
    password = read_password(password_stdin)
    with identity_service(database_url, "users") as service:
        user = service.set_password(username, password)
    click.echo(f"password changed for {user.username}; open sessions ended")


@users.command("disable")
@click.argument("username")
@database_option
def disable_command(username: str, database_url: str | None) -> None:
    """Disable an account and end its sessions."""
    with identity_service(database_url, "users") as service:
        user = service.set_disabled(username, True)
    click.echo(f"disabled {user.username}")


@users.command("enable")
@click.argument("username")
@database_option
def enable_command(username: str, database_url: str | None) -> None:
    """Enable a disabled account."""
    with identity_service(database_url, "users") as service:
        user = service.set_disabled(username, False)
    click.echo(f"enabled {user.username}")


@users.command("unlock")
@click.argument("username")
@database_option
def unlock_command(username: str, database_url: str | None) -> None:
    """Forget failed sign-ins of an account name so it may try again at once."""
    with identity_service(database_url, "users") as service:
        service.unlock(username)
    click.echo(f"unlocked {username}")


def register(group: click.Group) -> None:
    group.add_command(users)
