"""Who is calling: the principal the guard in ``gatekeeper.api.auth`` put on ``g``."""

from __future__ import annotations

from flask import Flask, g

from gatekeeper.domain import AuthenticationError, Principal


def current_principal() -> Principal:
    """The authenticated caller of this request; never a default identity (fails closed)."""
    principal = g.get("principal")
    if isinstance(principal, Principal):
        return principal
    raise AuthenticationError("this request carries no credentials", reason="missing")


def init_app(app: Flask) -> None:
    """Authentication, the access table and CSRF protection for every door."""
    from gatekeeper.api import auth

    auth.init_app(app)
