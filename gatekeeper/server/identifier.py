"""Who is calling: a bearer token on the JSON door; an SSO header or a session cookie on the web.

The guard puts the principal it found on ``g``; views read it with ``current_principal``.
Credentials come from the request's headers and cookie, never from its body.
"""

from __future__ import annotations

import structlog
from flask import Flask, g, request, session

from gatekeeper.bootstrap import services, settings
from gatekeeper.domain import AuthenticationError, ForbiddenError, Principal

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


def served_customer(app: Flask, principal: Principal | None) -> Principal | None:
    """The principal, unless its organisation is no longer a customer of the served bundle
    (ForbiddenError naming it). Without a loaded bundle nothing is checked here: every
    decision fails closed anyway."""
    store = services(app).store
    if principal is None or principal.organisation is None or not store.ready:
        return principal
    organisation = principal.organisation
    bundle = store.current.bundle
    if organisation not in (bundle.data.get("customers") or {}):
        log.warning("customer_not_served", subject=principal.subject, customer=organisation,
                    revision=bundle.revision)
        raise ForbiddenError(f"customer {organisation!r} is not a customer of the policy "
                             f"bundle this service serves (revision {bundle.revision}); "
                             "its credentials are refused until it is")
    return principal


def authenticate(app: Flask, api: bool) -> Principal | None:
    """The caller of this request, None without credentials; bad tokens raise 401, a
    customer the served bundle no longer has 403."""
    if api:
        token = _bearer()
        found = services(app).identity.authenticate_token(token) if token else None
    else:
        found = _sso_principal(app) or _session_principal(app)
    return served_customer(app, found)
