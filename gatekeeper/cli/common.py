"""Shared CLI helpers: the settings and services of a command, options, JSON file reading
with file:line errors."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from gatekeeper.domain import ConfigurationError, GatekeeperError, ValidationError
from gatekeeper.settings import DEFAULT_POLICIES, Settings

if TYPE_CHECKING:
    from gatekeeper.bootstrap import Services

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class CliError(click.ClickException):
    """A one-line error with exit code 2 (usage or load error)."""

    exit_code = EXIT_USAGE

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


_SETTINGS = "gatekeeper.settings"


def base_settings() -> Settings:
    """This command's settings from the environment: the only place the CLI reads it, once
    per command (kept on the root click context). A bad value is a one-line error."""
    root = click.get_current_context().find_root()
    settings: Settings | None = root.meta.get(_SETTINGS)
    if settings is None:
        from gatekeeper.logging_setup import configure_logging

        try:
            settings = Settings.from_env(os.environ)
        except ConfigurationError as exc:
            raise CliError(exc.detail) from None
        root.meta[_SETTINGS] = settings
        # to stderr: stdout stays clean for --json
        configure_logging(settings.log_json, settings.cli_log_level)
    return settings


def cli_settings(**options: Any) -> Settings:
    """The environment's settings with this command's options on top (by setting name,
    lower case: ``policies=...``, ``database_url=...``); an option left out is None."""
    settings = base_settings()
    given = {name.upper(): value for name, value in options.items() if value is not None}
    if not given:
        return settings
    try:
        return settings.with_overrides(given)
    except ConfigurationError as exc:
        raise CliError(exc.detail) from None


def folder_of(settings: Settings) -> Path:
    """The policy folder of a command that reads the folder itself; a bundle URL in
    GATEKEEPER_POLICIES is a one-line error naming it."""
    try:
        return settings.policy_folder
    except ConfigurationError as exc:
        raise CliError(exc.detail) from None


@contextmanager
def cli_services(label: str = "", *, ledger: bool = False,
                 **options: Any) -> Iterator[Services]:
    """The composition root for this command, closed when it ends. ``ledger``: open the
    ledger first, so a database that cannot be opened is ``database: ...``; any other
    product error is one line ``<label>: ...`` (no label: the error alone)."""
    from gatekeeper.bootstrap import Services

    # The engine check vets a bundle before it serves (``serve``, reloads); a command that
    # answers a few decisions and exits skips it (0.7 s of 1.4 s for ``eval``). The fast
    # engine's load-time hazard check and its fall-back to the interpreter still apply.
    options.setdefault("engine_check_requests", 0)
    with Services(cli_settings(**options)) as services:
        if ledger:
            try:
                _ = services.ledger
            except GatekeeperError as exc:
                raise CliError(describe_error("database", exc)) from None
        try:
            yield services
        except GatekeeperError as exc:
            raise CliError(describe_error(label, exc)) from None


def policies_option(f: Any) -> Any:
    return click.option(
        "--policies",
        default=None,
        help="Policy bundle: a folder, an OPA bundle .tar.gz or its http(s) URL (default: "
             "GATEKEEPER_POLICIES, else the bundled policies/).",
    )(f)


def engine_option(f: Any) -> Any:
    return click.option(
        "--engine",
        default=None,
        help="Rego engine: regorus (interpreter), regorus-rvm (compiled, faster) or regopy "
             "(default: GATEKEEPER_ENGINE, else regorus-rvm).",
    )(f)


def local_policies(policies: Path | None) -> Path:
    """For check and impact: --policies, else GATEKEEPER_POLICIES, else ./policies when it
    exists (a policy repository's CI), else the bundled policies."""
    if policies is not None:
        return policies
    settings = base_settings()
    if settings.policies is not None:
        return folder_of(settings)
    return Path("policies") if Path("policies").is_dir() else DEFAULT_POLICIES


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
    """One readable line (or a few) for a domain error, prefixed by where it came from
    (``label``; empty: the error alone, as ``CliError`` already says ``error:``)."""
    if isinstance(exc, ValidationError):
        text = "; ".join(f"{e.field or 'body'}: {e.problem}" for e in exc.errors)
    else:
        text = exc.detail
    return f"{label}: {text}" if label else text
