"""``gatekeeper eval``: decide one request from a file or stdin, readable or as JSON."""

from __future__ import annotations

import json
from typing import Any

import click

from gatekeeper.bootstrap import Services
from gatekeeper.cli.common import (
    CliError,
    cli_services,
    engine_option,
    policies_option,
    read_json_file,
)
from gatekeeper.cli.render import render_decision
from gatekeeper.domain import GatekeeperError, Principal
from gatekeeper.domain.identity import ANONYMOUS_ENGINEER
from gatekeeper.domain.request import parse_timestamp
from gatekeeper.domain.roles import ENGINEER
from gatekeeper.domain.situation import context_input
from gatekeeper.service.decisions import DecisionService


def split_document(doc: Any) -> tuple[Any, Principal | None, str | None]:
    """Accept a bare request, or an example file {request, identity, now, expect}."""
    if isinstance(doc, dict) and isinstance(doc.get("request"), dict):
        ident = doc.get("identity")
        principal = None
        if isinstance(ident, dict):
            principal = Principal(
                subject=str(ident.get("subject", "example")),
                role=str(ident.get("role", ENGINEER)),
                organisation=ident.get("organisation"),
            )
        return doc["request"], principal, doc.get("now")
    return doc, None, None


def given_context(doc: Any) -> dict[str, Any]:
    """The example file's ``context``, else an empty one (eval never reads the ledger)."""
    raw = doc.get("context") if isinstance(doc, dict) and "request" in doc else None
    try:
        return context_input(raw)
    except ValueError as exc:
        raise CliError(f"context: {exc}") from None


def load_service(services: Services) -> DecisionService:
    """Load the bundle once (no database); a broken one is a one-line error, exit code 2."""
    try:
        return services.offline_decisions
    except GatekeeperError as exc:
        raise CliError(exc.detail) from None
    except (KeyError, ValueError) as exc:
        raise CliError(str(exc)) from None


@click.command("eval")
@click.argument("file", default="-")
@click.option("--json", "as_json", is_flag=True, help="Print the full decision as JSON.")
@click.option("--now", help="Evaluation time (RFC 3339); default: the file's `now`, else now.")
@click.option("--role", help="Evaluate as this role (default: the file's identity, else engineer).")
@click.option("--organisation", help="The caller's organisation (customer id) for --role.")
@policies_option
@engine_option
def evaluate(
    file: str,
    as_json: bool,
    now: str | None,
    role: str | None,
    organisation: str | None,
    policies: str | None,
    engine: str | None,
) -> None:
    """Decide the access request in FILE ('-' for stdin) without recording it.

    No database is opened: the policy decides on the file's "context" (an example file's
    month-to-date SLA downtime and overlapping requests), else on an empty context, so
    figures such as sla_minutes_used_this_month are 0 and no overlap is found."""
    doc = read_json_file(file)
    body, principal, file_now = split_document(doc)
    principal = principal or ANONYMOUS_ENGINEER
    if role:
        principal = Principal(subject="cli", role=role, organisation=organisation)
    when = now or file_now
    try:
        at = parse_timestamp(when) if when else None
    except ValueError:
        raise CliError(f"--now / now: {when!r} is not an RFC 3339 timestamp") from None
    label = "<stdin>" if file == "-" else file
    with cli_services(label, policies=policies, engine=engine) as services:
        _, decision = load_service(services).decide(body, principal, now=at,
                                                    context=given_context(doc))
    if as_json:
        click.echo(json.dumps(decision.to_dict(), indent=2, sort_keys=False))
    else:
        click.echo(render_decision(decision))


def register(group: click.Group) -> None:
    group.add_command(evaluate)
