"""``gatekeeper bundle build``: the policy bundle as an OPA bundle archive (``.tar.gz``)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from gatekeeper.cli.common import CliError, cli_settings
from gatekeeper.domain import GatekeeperError
from gatekeeper.engine.bundle_archive import build_archive, load_policy_source, roots_of

DEFAULT_OUT = "bundle.tar.gz"


def write_atomically(target: Path, raw: bytes) -> None:
    """Write ``raw`` to ``target`` through a temporary file beside it: never half-written."""
    folder = target.resolve().parent
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(raw)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@click.group("bundle")
def bundle() -> None:
    """OPA bundles: build one from the policy folder (docs/opa.md)."""


@bundle.command("build")
@click.option("--policies", help="Policy folder, archive or URL (default: GATEKEEPER_POLICIES, "
                                 "else the bundled policies/).")
@click.option("--out", "out", default=DEFAULT_OUT, show_default=True,
              help="Where to write the .tar.gz ('-': stdout).")
@click.option("--with-tests", is_flag=True,
              help="Add the *_test.rego files (for opa test or gatekeeper check on the "
                   "archive); an OPA server then pays for them on every decision.")
def build(policies: str | None, out: str, with_tests: bool) -> None:
    """Check the bundle as serve would load it, then write it as an OPA bundle: .manifest
    (revision, roots), the Rego modules, data.json with all the data merged."""
    source = cli_settings(policies=policies).policy_location
    try:
        loaded = load_policy_source(source)
    except GatekeeperError as exc:
        raise CliError(f"cannot build: {exc.detail}") from None
    raw = build_archive(loaded, with_tests=with_tests)
    if out == "-":
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
        return
    target = Path(out)
    try:
        write_atomically(target, raw)
    except OSError as exc:
        raise CliError(f"--out {out}: cannot write: {exc.strerror or exc}") from None
    tests = len(loaded.test_modules) if with_tests else 0
    click.echo(f"wrote {out}: revision {loaded.revision}, {len(loaded.modules)} module(s) and "
               f"{tests} test module(s), roots {', '.join(roots_of(loaded, with_tests))}",
               err=True)


def register(group: click.Group) -> None:
    group.add_command(bundle)
