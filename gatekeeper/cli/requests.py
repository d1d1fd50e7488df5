"""``gatekeeper requests list | show | extend`` and ``gatekeeper expire``: the ledger from
a terminal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from gatekeeper.cli.common import cli_services
from gatekeeper.cli.database import database_option
from gatekeeper.domain.identity import ANONYMOUS_ENGINEER, Principal
from gatekeeper.domain.roles import CUSTOMER_ROLES, ENGINEER
from gatekeeper.ledger import RequestRecord
from gatekeeper.service.representation import request_to_dict
from gatekeeper.service.requests import RequestService


@contextmanager
def request_service(database_url: str | None) -> Iterator[RequestService]:
    """The request service on the ledger (no policy is loaded unless something is decided);
    errors become one-line CLI errors."""
    with cli_services(ledger=True, database_url=database_url) as services:
        yield services.requests


def _short(value: str | None) -> str:
    return (value or "-")[:19].replace("T", " ")


def render_request(record: RequestRecord) -> str:
    """A request, its decision in brief, its grant and its history, for a terminal."""
    body = request_to_dict(record)
    lines = [
        f"{record.id}  {record.state.upper()}",
        f"  {record.customer}/{record.environment}: {body['access']} for {body['purpose']}",
        f"  requested by {record.requester_subject}"
        + (f" ({record.requester_organisation})" if record.requester_organisation else "")
        + f" at {_short(body['created_at'])}",
        f"  need: {record.request.need}",
        f"  decision: {record.outcome}: {record.decision.summary}",
    ]
    for c in record.decision.consequences:
        lines.append(f"    consequence {c.id}: {c.summary}")
    for a in record.decision.alternatives:
        lines.append(f"    alternative {a.id}: {a.title}")
    if record.approvals_needed:
        given = ", ".join(body["approvals"]["given"]) or "none yet"
        lines.append(f"  approvals: {record.approvals_needed} needed; given: {given}")
    grant = body["grant"]
    if grant["starts_at"]:
        systems = ", ".join(grant["systems"]) or "whole environment"
        lines.append(f"  grant: {_short(grant['starts_at'])} to {_short(grant['ends_at'])} "
                     f"({grant['duration_hours']}h; {systems})")
    if record.parent_id:
        lines.append(f"  follow-up of {record.parent_id} (alternative {record.alternative_id})")
    for child in record.follow_up_ids:
        lines.append(f"  follow-up request: {child}")
    lines.append("  history:")
    for e in record.events:
        why = f" - {e.reason}" if e.reason else ""
        lines.append(f"    {_short(e.at.isoformat())}  {e.actor}: {e.action} "
                     f"{e.from_state or '-'} -> {e.to_state}{why}")
    return "\n".join(lines)


@click.group("requests")
def requests_group() -> None:
    """Recorded access requests."""


@requests_group.command("list")
@click.option("--customer", help="Only this customer.")
@click.option("--state", "states", multiple=True, help="Only these states (repeatable).")
@click.option("--requester", help="Only this requester subject.")
@click.option("--since", "created_from", help="Created at or after (RFC 3339).")
@click.option("--until", "created_until", help="Created before (RFC 3339).")
@click.option("--limit", default=50, show_default=True, type=int)
@click.option("--cursor", help="Continue after a previous page.")
@click.option("--json", "as_json", is_flag=True, help="Print the page as JSON.")
@database_option
def list_command(as_json: bool, database_url: str | None, states: tuple[str, ...],
                 **filters: Any) -> None:
    """List requests, newest first."""
    params = {k: v for k, v in filters.items() if v is not None}
    if states:
        params["state"] = list(states)
    with request_service(database_url) as service:
        page = service.search(ANONYMOUS_ENGINEER, params)
    if as_json:
        doc = {"items": [request_to_dict(r, detail=False) for r in page.items],
               "next_cursor": page.next_cursor}
        click.echo(json.dumps(doc, indent=2))
        return
    if not page.items:
        click.echo("no requests")
    for r in page.items:
        click.echo(f"{r.id}  {_short(r.created_at.isoformat())}  {r.state:<24} "
                   f"{r.customer}/{r.environment}  {r.request.access}"
                   f"/{r.request.purpose}  {r.requester_subject}")
    if page.next_cursor:
        click.echo(f"more: --cursor {page.next_cursor}")


@requests_group.command("show")
@click.argument("request_id")
@click.option("--json", "as_json", is_flag=True, help="Print the request as JSON.")
@database_option
def show_command(request_id: str, as_json: bool, database_url: str | None) -> None:
    """Show one request with its decision and full history."""
    with request_service(database_url) as service:
        record = service.get(request_id, ANONYMOUS_ENGINEER)
    click.echo(json.dumps(request_to_dict(record), indent=2) if as_json
               else render_request(record))


@requests_group.command("extend")
@click.argument("request_id")
@click.option("--hours", type=float, required=True, help="How many more hours.")
@click.option("--reason", help="Why more time is needed.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@database_option
def extend_command(request_id: str, hours: float, reason: str | None, as_json: bool,
                   database_url: str | None) -> None:
    """Ask for HOURS more on a granted request, as its requester; the policy decides it."""
    body: dict[str, Any] = {"hours": hours, **({"reason": reason} if reason else {})}
    with request_service(database_url) as service:
        current = service.get(request_id, ANONYMOUS_ENGINEER)
        requester = Principal(
            subject=current.requester_subject, organisation=current.requester_organisation,
            role=CUSTOMER_ROLES[0] if current.requester_organisation else ENGINEER)
        record, linked = service.extend(request_id, requester, body)
    if as_json:
        out = request_to_dict(record)
        out["follow_up"] = request_to_dict(linked) if linked else None
        click.echo(json.dumps(out, indent=2))
        return
    step = record.events[-1]
    ends = _short(record.grant_ends_at.isoformat() if record.grant_ends_at else None)
    click.echo(f"{record.id}: the policy answered {step.details.get('outcome')}")
    if linked is None:
        click.echo(f"  the grant now ends {ends} UTC")
    else:
        click.echo(f"  the grant still ends {ends} UTC; the extension is request "
                   f"{linked.id} ({linked.state})")
    click.echo(f"  {step.details.get('summary')}")


@click.command("expire")
@database_option
def expire_command(database_url: str | None) -> None:
    """Move every grant past its end to expired and prune the Idempotency-Keys older than
    GATEKEEPER_IDEMPOTENCY_KEY_HOURS (run it from cron or a timer; each dispatcher also does
    it every GATEKEEPER_HOUSEKEEPING_SECONDS)."""
    with request_service(database_url) as service:
        moved = service.expire_due()
        pruned = service.prune_keys()
    click.echo(f"expired {len(moved)} grant(s)")
    for request_id in moved:
        click.echo(f"  {request_id}")
    click.echo(f"pruned {pruned} idempotency key(s)")


def register(group: click.Group) -> None:
    group.add_command(requests_group)
    group.add_command(expire_command)
