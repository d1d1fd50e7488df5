"""``gatekeeper impact``: which decisions a policy change flips, replayed on both bundles."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from gatekeeper import logging_setup
from gatekeeper.cli.common import (
    EXIT_FINDINGS,
    CliError,
    cli_settings,
    engine_option,
    local_policies,
)
from gatekeeper.domain import GatekeeperError
from gatekeeper.domain.request import parse_timestamp
from gatekeeper.policyci.failon import KEYWORDS, failures, parse_fail_on
from gatekeeper.policyci.impact import ImpactReport
from gatekeeper.policyci.impact_format import RENDERERS
from gatekeeper.policyci.replay import default_workers, replay
from gatekeeper.policyci.sides import open_side
from gatekeeper.policyci.sources import FileSource

EPILOG = f"""\b
REV|DIR: an existing folder is read as is; anything else is a git revision (branch, tag,
sha, HEAD~1) whose copy of the --policies folder is read from the repository, no checkout.
\b
--fail-on: comma-separated BASE->HEAD patterns over allow, allow_with_consequences,
needs_approval, deny, invalid (rejected before policy) and error (policy failed), with * for
any; or one of: {", ".join(KEYWORDS)} (stricter/looser compare the four outcomes).
\b
Exit codes: 0 done (no --fail-on match), 1 a --fail-on transition occurred,
2 usage or load error (unknown revision, bundle that does not load, bad request file,
unreachable database); nothing is reported as complete on exit code 2.
"""


def _time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        raise CliError(f"{option} {value!r}: expected a date or RFC 3339 timestamp") from None


def _format_for(path: Path) -> str:
    return {".md": "markdown", ".json": "json"}.get(path.suffix.lower(), "text")


def _progress_bar(total: int | None, enabled: bool,
                  stack: ExitStack) -> Callable[[int], None] | None:
    """A progress bar on stderr, advanced as workers finish chunks (only on a terminal)."""
    if not enabled or total is None or total < 1:
        return None
    bar: Any = stack.enter_context(
        click.progressbar(length=total, label="Replaying", file=sys.stderr, show_pos=True)
    )
    return bar.update


@click.command("impact", epilog=EPILOG)
@click.option("--base", "base", required=True, metavar="REV|DIR", help="The bundle before.")
@click.option("--head", "head", metavar="REV|DIR",
              help="The bundle after (default: the working tree).")
@click.option("--policies", type=click.Path(path_type=Path),
              help="Policy folder in the repository (default: GATEKEEPER_POLICIES, else "
                   "./policies).")
@click.option("--repo", type=click.Path(file_okay=False, path_type=Path),
              help="Git repository (default: the one holding --policies).")
@click.option("--requests", "requests_path", type=click.Path(path_type=Path),
              help="Folder or file of requests: bare or example JSON, .jsonl one per line "
              "(default: examples/requests).")
@click.option("--ledger", metavar="DATABASE_URL", help="Replay requests recorded in the ledger.")
@click.option("--since", metavar="DATE", help="With --ledger: requests created from DATE on.")
@click.option("--now", "now_text", metavar="TIME",
              help="Evaluation time for requests that carry none (default: now).")
@click.option("--fail-on", "fail_on", metavar="TRANSITIONS", help="Fail (exit 1) on these.")
@click.option("--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="text",
              show_default=True)
@click.option("--report", "reports", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the report here (.md markdown, .json JSON, else text); repeatable.")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: all cores "
              "for large runs).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr (default: when stderr is a terminal).")
@engine_option
def impact(base: str, head: str | None, policies: Path | None, repo: Path | None,
           requests_path: Path | None, ledger: str | None, since: str | None,
           now_text: str | None, fail_on: str | None, fmt: str, reports: tuple[Path, ...],
           jobs: int | None, progress: bool | None, engine: str | None) -> None:
    """Replay requests on the base and head bundles and report every decision that changes."""
    engine = cli_settings(engine=engine).engine
    logging_setup.configure_logging(level="WARNING")
    try:
        rules = parse_fail_on(fail_on)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if ledger and requests_path:
        raise CliError("--requests and --ledger are exclusive: choose one source")
    if since and not ledger:
        raise CliError("--since applies to --ledger only")
    now = _time(now_text, "--now") or datetime.now(UTC)
    folder = local_policies(policies)
    show_progress = sys.stderr.isatty() if progress is None else progress
    try:
        with ExitStack() as stack:
            source = _open_source(requests_path, ledger, _time(since, "--since"), now)
            base_info, base_bundle = stack.enter_context(open_side("base", base, folder, repo))
            head_info, head_bundle = stack.enter_context(open_side("head", head, folder, repo))
            total = source.total
            tick = _progress_bar(total, show_progress, stack)
            report = ImpactReport(base_info, head_info, source.description)
            replay(report, base_bundle, head_bundle, source, engine=engine,
                   workers=jobs or default_workers(total), progress=tick)
    except GatekeeperError as exc:
        raise CliError(exc.detail) from None
    failed = failures(report, rules) if rules else None
    for path in reports:
        try:
            path.write_text(RENDERERS[_format_for(path)](report, failed) + "\n", encoding="utf-8")
        except OSError as exc:
            raise CliError(f"--report {path}: cannot write: {exc.strerror or exc}") from None
    click.echo(RENDERERS[fmt](report, failed))
    if failed:
        sys.exit(EXIT_FINDINGS)


def _open_source(requests_path: Path | None, ledger: str | None, since: datetime | None,
                 now: datetime) -> Any:
    if ledger:
        from gatekeeper.policyci.ledger_source import LedgerSource

        return LedgerSource(ledger, since)
    path = requests_path or Path("examples/requests")
    return FileSource(path, now)


def register(group: click.Group) -> None:
    group.add_command(impact)
