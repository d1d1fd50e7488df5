"""Errors of policy CI tooling; every one is a one-line message and exit code 2 at the CLI."""

from __future__ import annotations

from gatekeeper.domain import GatekeeperError


class SourceError(GatekeeperError):
    """A revision, folder, request file or database cannot be read; names what and where."""

    code = "source_error"
    title = "Cannot read the input"
