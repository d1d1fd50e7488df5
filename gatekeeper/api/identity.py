"""Who is calling. Until credentials exist (issue 4) every caller is the local engineer."""

from __future__ import annotations

from flask import Flask, g

from gatekeeper.domain import Principal
from gatekeeper.domain.identity import ANONYMOUS_ENGINEER


def current_principal() -> Principal:
    """The authenticated caller of this request."""
    principal = g.get("principal")
    return principal if isinstance(principal, Principal) else ANONYMOUS_ENGINEER


def init_app(app: Flask) -> None:
    """Nothing to register yet; the authentication module will set ``g.principal``."""
