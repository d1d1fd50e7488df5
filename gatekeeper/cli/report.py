"""``gatekeeper report``: a customer's monthly report as HTML, PDF or JSON, from the ledger."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from gatekeeper.cli.common import CliError, cli_services, policies_option
from gatekeeper.cli.database import database_option
from gatekeeper.domain.identity import ANONYMOUS_ENGINEER

FORMATS = ("html", "pdf", "json")


@click.command("report")
@click.option("--customer", required=True, help="The customer id (as in the policy data).")
@click.option("--month", required=True, help="The month, YYYY-MM (the customer's own).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="html", show_default=True,
              help="html: one standalone file; pdf: the same page as a PDF; json: the figures.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (default: standard output).")
@policies_option
@database_option
def report_command(customer: str, month: str, fmt: str, out: Path | None,
                   policies: Path | None, database_url: str | None) -> None:
    """Print or write CUSTOMER's report of MONTH, read from the ledger alone."""
    with cli_services("report", ledger=True, database_url=database_url,
                      policies=policies) as services:
        report = services.reports.customer_report(customer, month, ANONYMOUS_ENGINEER)
    if fmt == "json":
        data = (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode()
    else:
        from gatekeeper.web.report_render import render_document, render_pdf

        data = render_pdf(report) if fmt == "pdf" else render_document(report).encode()
    if out is None:
        if fmt == "pdf" and sys.stdout.isatty():
            raise CliError("report: a PDF is not written to a terminal; give --out FILE")
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise CliError(f"{out}: cannot write: {exc.strerror or exc}") from None
    click.echo(f"wrote {out} ({fmt}, {len(data)} bytes)", err=True)


def register(group: click.Group) -> None:
    group.add_command(report_command)
