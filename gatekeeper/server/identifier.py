"""Who is calling: a bearer token on the JSON door; an SSO header or a session cookie on the web.

The guard puts the principal it found on ``g``; views read it with ``current_principal``.
Credentials come from the request's headers and cookie, never from its body.
"""

from __future__ import annotations

import structlog
from flask import Flask, g, request, session

from gatekeeper.bootstrap import services, settings
from gatekeeper.domain import AuthenticationError, Principal

log = structlog.get_logger(__name__)

SESSION_KEY = "gk_sid"
REALM = "gatekeeper"


def current_principal() -> Principal:
    """The authenticated caller of this request; never a default identity (fails closed)."""
    principal = g.get("principal")
    if isinstance(principal, Principal):
        return principal
    raise AuthenticationError("this request carries no credentials", reason="missing")


def www_authenticate(exc: AuthenticationError | None = None) -> str:
    """The RFC 6750 challenge; names ``invalid_token`` when a token was presented."""
    challenge = f'Bearer realm="{REALM}"'
    if exc is not None and exc.reason in ("malformed", "unknown", "revoked", "expired"):
        challenge += f', error="invalid_token", error_description="{exc.detail}"'
    return challenge


def _bearer() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise AuthenticationError("use 'Authorization: Bearer <token>'", reason="malformed")
    return value.strip()


def _sso_principal(app: Flask) -> Principal | None:
    config = settings(app)
    header = config.sso_header
    subject = request.headers.get(header) if header else None
    if not subject:
        return None

    def optional(configured: str | None) -> str | None:
        return request.headers.get(configured) if configured else None

    return services(app).identity.sso_principal(
        subject, optional(config.sso_role_header), optional(config.sso_org_header))


def _session_principal(app: Flask) -> Principal | None:
    session_id = session.get(SESSION_KEY)
    if not isinstance(session_id, str):
        return None
    principal = services(app).identity.principal_for_session(session_id)
    if principal is None:
        session.pop(SESSION_KEY, None)
    return principal


def authenticate(app: Flask, api: bool) -> Principal | None:
    """The caller of this request, None without credentials; bad tokens raise 401."""
    if api:
        token = _bearer()
        return services(app).identity.authenticate_token(token) if token else None
    return _sso_principal(app) or _session_principal(app)
