"""``gatekeeper dispatch`` and ``gatekeeper outbox list | retry | purge``; the dispatcher
thread that ``serve`` starts in each worker (docs/notifications.md)."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import click
import structlog

from gatekeeper.cli.common import CliError, cli_services
from gatekeeper.cli.database import database_option
from gatekeeper.domain.notice import ITEM_STATES

log = structlog.get_logger(__name__)


STOP_SECONDS = 5.0  # a delivery under way may finish


def start_in_worker(services: Any) -> Callable[[], None] | None:
    """Start the dispatcher as a thread of this process (a ``serve`` worker) unless
    GATEKEEPER_DISPATCHER is off; returns what stops it. Several workers and instances may
    each run one: every item is claimed with a lease, so each is worked on by one at a time."""
    settings = services.settings
    if not settings.dispatcher:
        return None
    stop = threading.Event()
    thread = threading.Thread(target=services.dispatcher.run, name="gatekeeper-dispatcher",
                              args=(stop, settings.outbox_poll_seconds), daemon=True)
    thread.start()

    def stop_and_join() -> None:
        # Ended on its own thread, its per-thread engines are dropped there (regorus
        # refuses to be dropped on another thread, as a daemon thread's would be at exit).
        stop.set()
        thread.join(timeout=STOP_SECONDS)

    return stop_and_join


@click.command("dispatch")
@click.option("--once", is_flag=True, help="One pass of each step (schedule, route, deliver), "
                                             "then exit.")
@database_option
def dispatch_command(once: bool, database_url: str | None) -> None:
    """Deliver notifications from the outbox until SIGTERM or Ctrl-C (run beside
    `serve` with GATEKEEPER_DISPATCHER=off, or as well: several dispatchers are safe)."""
    with cli_services("dispatch", ledger=True, database_url=database_url) as services:
        dispatcher = services.dispatcher
        _ = services.store.current  # a bundle that does not load stops us here
        if once:
            done = dispatcher.run_once()
            click.echo(", ".join(f"{k}: {v}" for k, v in done.items()))
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        click.echo(f"gatekeeper dispatch running as {dispatcher.owner}", err=True)
        dispatcher.run(stop, services.settings.outbox_poll_seconds)


@click.group("outbox")
def outbox_group() -> None:
    """Look at and operate the notification outbox."""


@outbox_group.command("list")
@click.option("--state", "states", multiple=True, type=click.Choice(ITEM_STATES),
              help="Only items in this state (repeatable).")
@click.option("--request", "request_id", help="Only items of this access request.")
@click.option("--customer", help="Only items of this customer.")
@click.option("--kind", type=click.Choice(["event", "message"]), help="Events or messages.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
@database_option
def list_command(states: tuple[str, ...], request_id: str | None, customer: str | None,
                 kind: str | None, limit: int, as_json: bool, database_url: str | None) -> None:
    """Outbox items, newest first, with their delivery state and last error."""
    with cli_services(ledger=True, database_url=database_url) as services:
        items = services.outbox.find(states, request_id, kind, customer, limit)
        if as_json:
            for item in items:
                click.echo(json.dumps(item.to_dict()))
            return
        counts = services.outbox.counts()
        for item in items:
            line = (f"{item.id}  {item.state:<7} {item.kind:<7} {item.topic:<15} "
                    f"{(item.channel or '-'):<7} {item.to_dict()['recipient'] or '-'} "
                    f"tries={item.attempts}")
            click.echo(line)
            if item.last_error:
                click.echo(f"    last error: {item.last_error}")
        summary = "; ".join(f"{kind}s: " + ", ".join(f"{n} {s}" for s, n in sorted(by.items()))
                            for kind, by in sorted(counts.items()))
        click.echo(summary or "the outbox is empty", err=True)


@outbox_group.command("retry")
@click.argument("ids", nargs=-1)
@database_option
def retry_command(ids: tuple[str, ...], database_url: str | None) -> None:
    """Send dead-lettered items again (the ones named, or every dead one)."""
    with cli_services(ledger=True, database_url=database_url) as services:
        moved = services.outbox.retry(ids, datetime.now(UTC))
        if ids and moved < len(ids):
            raise CliError(f"{len(ids) - moved} of the {len(ids)} item(s) named are not "
                           f"dead-lettered (see gatekeeper outbox list --state dead)")
        click.echo(f"{moved} item(s) will be sent again")


@outbox_group.command("purge")
@click.option("--older-than-days", type=click.FloatRange(min=0), default=30.0,
              show_default=True, help="Delete sent and dead items created before this.")
@click.option("--state", "states", multiple=True, type=click.Choice(["sent", "dead"]),
              help="Only items in this state (default: sent and dead).")
@database_option
def purge_command(older_than_days: float, states: tuple[str, ...],
                  database_url: str | None) -> None:
    """Delete settled items (never pending ones)."""
    with cli_services(ledger=True, database_url=database_url) as services:
        before = datetime.now(UTC) - timedelta(days=older_than_days)
        gone = services.outbox.purge(before, states or ("sent", "dead"))
        click.echo(f"{gone} item(s) deleted")


def register(group: click.Group) -> None:
    group.add_command(dispatch_command)
    group.add_command(outbox_group)
