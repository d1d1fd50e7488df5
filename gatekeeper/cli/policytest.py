"""``gatekeeper test``: run the Rego policy tests; failures show expected versus actual."""

from __future__ import annotations

import click

from gatekeeper.cli.common import (
    EXIT_FINDINGS,
    CliError,
    cli_settings,
    policies_option,
)
from gatekeeper.domain import GatekeeperError
from gatekeeper.engine.bundle_archive import load_policy_source
from gatekeeper.engine.policy_tests import TestReport, run_policy_tests


def render_report(report: TestReport, verbose: bool) -> str:
    """Failures first with their source, what they got and printed; then the totals."""
    lines: list[str] = []
    for result in report.results:
        if result.passed:
            if verbose:
                lines.append(f"PASS {result.full_name} ({result.duration_ms:.1f} ms)")
            continue
        lines.append(f"FAIL {result.full_name}  {result.location}")
        if result.error:
            lines.append(f"  error: {result.error}")
        else:
            lines.append(f"  expected: true\n  actual:   {result.actual}")
        lines.extend(f"  print: {p}" for p in result.prints)
        if result.source:
            lines.extend(f"  | {src}" for src in result.source.splitlines())
    summary = f"{report.passed} passed, {report.failed} failed"
    if report.coverage_percent is not None:
        summary += f"; coverage {report.coverage_percent:.1f}%"
    lines.append(summary)
    return "\n".join(lines)


@click.command("test")
@policies_option
@click.option("--run", "pattern", help="Only tests whose package.name matches this regex.")
@click.option("-v", "--verbose", is_flag=True, help="List passing tests too.")
def policy_test(policies: str | None, pattern: str | None, verbose: bool) -> None:
    """Run the Rego policy tests (*_test.rego) with coverage. Exit 1 when any fails."""
    root = cli_settings(policies=policies).policy_location  # folder, archive or URL
    try:
        bundle = load_policy_source(root)
    except GatekeeperError as exc:
        raise CliError(exc.detail) from None
    report = run_policy_tests(bundle, pattern=pattern)
    click.echo(render_report(report, verbose))
    if not report.results:
        raise CliError(f"{root}: no policy tests found (rules named test_* in *_test.rego)")
    if not report.ok:
        raise SystemExit(EXIT_FINDINGS)


def register(group: click.Group) -> None:
    group.add_command(policy_test)
