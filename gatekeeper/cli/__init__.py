"""The ``gatekeeper`` command: serve, eval, test and the commands of later modules."""

from __future__ import annotations

import sys

import click

from gatekeeper import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gatekeeper")
def cli() -> None:
    """Gatekeeper: access requests answered with consequences and safer alternatives."""
    from gatekeeper.cli.common import base_settings

    base_settings()  # reads and checks GATEKEEPER_*, configures logging


def _register() -> None:
    from gatekeeper.cli import (
        bundle,
        check,
        database,
        dispatch,
        evaluate,
        impact,
        policytest,
        report,
        requests,
        serve,
        tokens,
        users,
    )

    for module in (serve, evaluate, policytest, database, requests, check, impact, tokens,
                   users, dispatch, report, bundle):
        module.register(cli)


_register()


def main() -> None:
    """Console-script entry point."""
    sys.exit(cli.main(prog_name="gatekeeper", standalone_mode=True))
