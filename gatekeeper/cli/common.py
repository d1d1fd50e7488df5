"""Shared CLI helpers: options, JSON file reading with file:line errors, app construction."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from gatekeeper.domain import GatekeeperError, ValidationError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class CliError(click.ClickException):
    """A one-line error with exit code 2 (usage or load error)."""

    exit_code = EXIT_USAGE

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def policies_option(f: Any) -> Any:
    return click.option(
        "--policies",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="GATEKEEPER_POLICIES",
        default=None,
        help="Policy bundle folder (default: the bundled policies/).",
    )(f)


def engine_option(f: Any) -> Any:
    return click.option(
        "--engine",
        envvar="GATEKEEPER_ENGINE",
        default="regorus",
        show_default=True,
        help="Rego engine: regorus (interpreter), regorus-rvm (compiled, faster) or regopy.",
    )(f)


def default_policies() -> Path:
    from gatekeeper.app import DEFAULT_POLICIES

    return DEFAULT_POLICIES


def read_json_file(name: str) -> Any:
    """Read JSON from a path or '-' (stdin); errors name the file, line and problem."""
    label = "<stdin>" if name == "-" else name
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"{label}: cannot read: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{label}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None


def describe_error(label: str, exc: GatekeeperError) -> str:
    """One readable line (or a few) for a domain error, prefixed by where it came from."""
    if isinstance(exc, ValidationError):
        problems = "; ".join(f"{e.field or 'body'}: {e.problem}" for e in exc.errors)
        return f"{label}: {problems}"
    return f"{label}: {exc.detail}"
