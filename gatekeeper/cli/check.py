"""``gatekeeper check``: compile, validate, test, replay examples and lint a policy bundle."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from gatekeeper import logging_setup
from gatekeeper.cli.common import (
    EXIT_FINDINGS,
    CliError,
    base_settings,
    cli_settings,
    engine_option,
    local_policies,
)
from gatekeeper.domain import BundleError
from gatekeeper.engine.bundle_archive import is_url, read_source, unpack
from gatekeeper.policyci.check import run_check
from gatekeeper.policyci.check_format import RENDERERS
from gatekeeper.policyci.engine_agreement import DEFAULT_SYNTHETIC

EPILOG = """\b
Steps: compile (every module; file:line of each error), data (YAML against its schema),
tests (Rego test_* rules) and coverage (--min-coverage), examples (each
examples/requests/*.json decides as its "expect" says), metadata (every public rule has
METADATA with custom.code), engines (with --engine other than regorus: the examples and
--synthetic requests decide as on the regorus interpreter, the reference).
\b
Exit codes: 0 every step passed, 1 findings (anything that failed, including a bundle that
does not compile or validate), 2 usage error (missing folder, bad option, an archive that
is corrupt, has a bad manifest or files outside its roots).
"""


@contextmanager
def bundle_folder(source: str | Path) -> Iterator[tuple[Path, str | None]]:
    """The folder to check and the revision its manifest names: ``source`` itself, or an
    OPA bundle archive (a file or an http(s) URL) unpacked into a temporary folder for the
    length of the check."""
    if not is_url(source) and Path(source).is_dir():
        yield Path(source), None
        return
    if not is_url(source) and not Path(source).is_file():
        raise CliError(f"--policies {source}: no such folder or bundle archive")
    origin = str(source) if is_url(source) else Path(source).as_posix()
    with tempfile.TemporaryDirectory(prefix="gatekeeper-bundle-") as folder:
        try:
            manifest = unpack(read_source(source), origin, Path(folder))
        except BundleError as exc:
            raise CliError(f"cannot load: {exc.detail}") from None
        yield Path(folder), manifest.revision if manifest and manifest.revision else None


@click.command("check", epilog=EPILOG)
@click.option("--policies",
              help="Policy folder, OPA bundle .tar.gz or its http(s) URL (default: "
                   "GATEKEEPER_POLICIES, else ./policies, else the bundled policies).")
@click.option("--examples", type=click.Path(path_type=Path),
              help="Example requests (default: examples/requests beside the policy folder).")
@click.option("--min-coverage", type=click.FloatRange(0, 100), metavar="PCT",
              help="Fail when policy tests cover less than PCT% of statement lines.")
@click.option("--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="text",
              show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report in --format here; stdout gets the text summary.")
@engine_option
@click.option("--synthetic", type=click.IntRange(0), default=DEFAULT_SYNTHETIC, metavar="N",
              show_default=True,
              help="Synthetic requests (from the bundle's data) the engines step compares.")
def check(policies: str | None, examples: Path | None, min_coverage: float | None, fmt: str,
          output: Path | None, engine: str | None, synthetic: int) -> None:
    """Check that a policy bundle is fit to merge; findings point at file and line."""
    engine = cli_settings(engine=engine).engine
    logging_setup.configure_logging(level="WARNING")  # findings go to the report, not the log
    # --policies, else GATEKEEPER_POLICIES as it is (a folder, an archive or its URL), else
    # ./policies or the bundled ones
    source = policies or base_settings().policies or local_policies(None)
    if examples is not None and not examples.is_dir():
        raise CliError(f"--examples {examples}: not a directory")
    if examples is None:
        places = [Path(".")] if is_url(source) else [Path(source).resolve().parent, Path(".")]
        found = [p / "examples" / "requests" for p in places
                 if (p / "examples" / "requests").is_dir()]
        examples = found[0] if found else None
    with bundle_folder(source) as (folder, revision):
        report = run_check(folder, examples, min_coverage, engine, synthetic)
        if folder != Path(source):  # an archive: name it, and the revision it carries
            report.policies = str(source)
            report.revision = revision or report.revision
    text = RENDERERS[fmt](report)
    if output is not None:
        try:
            output.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise CliError(f"--output {output}: cannot write: {exc.strerror or exc}") from None
        text = RENDERERS["text"](report)  # the job log still shows the summary
    click.echo(text)
    if not report.ok:
        sys.exit(EXIT_FINDINGS)


def register(group: click.Group) -> None:
    group.add_command(check)
