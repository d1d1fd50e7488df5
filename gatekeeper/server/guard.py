"""Who is asking, and may they: one guard before every view of every door.

The JSON door (/v1) accepts bearer API tokens only, so it needs no CSRF protection. The web
pages accept a session cookie, or a single-sign-on header set by a trusted proxy when the
operator configures one; their forms are CSRF-protected. The access table decides which
role may call which endpoint, and denies any endpoint it does not know.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from urllib.parse import urlsplit

import structlog
from flask import Flask, Request, current_app, g, redirect, request, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFProtect

from gatekeeper.bootstrap import settings
from gatekeeper.domain import (
    AuthenticationError,
    ConfigurationError,
    ForbiddenError,
    Principal,
)
from gatekeeper.domain.identity import ANONYMOUS_ENGINEER
from gatekeeper.server.authorizer import rule_for
from gatekeeper.server.identifier import authenticate

log = structlog.get_logger(__name__)

# Blueprints whose import name starts here are the JSON door (a name, not an import).
API_PACKAGE = "gatekeeper.api"
csrf = CSRFProtect()


def auth_enabled(app: Flask) -> bool:
    """False only with GATEKEEPER_AUTH=off (development: every caller is a local engineer)."""
    return settings(app).auth


def development(app: Flask) -> bool:
    """GATEKEEPER_DEV or TESTING: a development key and plain-HTTP cookies are allowed."""
    config = settings(app)
    return config.dev or config.testing


def is_api(app: Flask, endpoint: str) -> bool:
    """Endpoints of blueprints defined under gatekeeper.api belong to the JSON door."""
    blueprint = app.blueprints.get(endpoint.rpartition(".")[0])
    return blueprint is not None and blueprint.import_name.startswith(API_PACKAGE + ".")


def _sign_in_redirect() -> ResponseReturnValue:
    """To sign-in and back: to this page, or after a form post, to the page the form was on."""
    back: str | None = request.full_path.rstrip("?")
    if request.method != "GET":
        referrer = urlsplit(request.referrer or "")
        same_site = referrer.netloc in ("", request.host)
        back = referrer.path + (f"?{referrer.query}" if referrer.query else "")
        back = back if same_site and back.startswith("/") else None
    return redirect(url_for("auth.sign_in", next=back), code=303)


def _guard() -> ResponseReturnValue | None:
    """Authenticate, check the access table, then CSRF on web forms; runs before each view."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no such route: 404 or 405 follows
    if not auth_enabled(app):
        g.principal = ANONYMOUS_ENGINEER
        return None
    api = is_api(app, endpoint)
    rule = rule_for(endpoint, app.view_functions.get(endpoint))
    if rule.public:
        if not api:  # public pages still show who is signed in
            with contextlib.suppress(AuthenticationError, ForbiddenError):
                _remember(authenticate(app, api=False))
            _check_csrf(app)
        return None
    try:
        principal = authenticate(app, api)
    except AuthenticationError:
        if api:
            raise
        principal = None
    if principal is None:
        if api:
            raise AuthenticationError("this endpoint needs a bearer token", reason="missing")
        return _sign_in_redirect()
    _remember(principal)
    if not rule.known:
        log.error("access_rule_missing", endpoint=endpoint)
        raise ForbiddenError("this endpoint has no access rule, so it is closed")
    if not rule.allows(principal.role):
        log.warning("access_denied", endpoint=endpoint, role=principal.role,
                    subject=principal.subject, method=request.method)
        raise ForbiddenError(f"the role {principal.role} may not use this endpoint")
    if not api:
        _check_csrf(app)
    return None


def _check_csrf(app: Flask) -> None:
    """Every state-changing web request carries the form's CSRF token (400 otherwise)."""
    if settings(app).wtf_csrf_enabled:
        csrf.protect(apply_exemptions=True)


def _remember(principal: Principal | None) -> None:
    if principal is not None:
        g.principal = principal
        structlog.contextvars.bind_contextvars(subject=principal.subject, role=principal.role)


def _forget(_: BaseException | None) -> None:
    structlog.contextvars.unbind_contextvars("subject", "role")


def configure(app: Flask) -> None:
    """Session cookie flags and start-up refusals; a dev key or auth=off need DEV/TESTING."""
    config = settings(app)
    dev = development(app)
    secret = config.secret_key or ""
    if not dev and secret in ("", "dev"):
        raise ConfigurationError("set GATEKEEPER_SECRET_KEY to a long random value "
                                 "(the built-in development key is refused outside "
                                 "GATEKEEPER_DEV=1)")
    if not dev and len(secret) < 32:
        log.warning("secret_key_short", length=len(secret), advice="use 32 or more characters")
    if not auth_enabled(app):
        if not dev:
            raise ConfigurationError("GATEKEEPER_AUTH=off is for local development only: "
                                     "set GATEKEEPER_DEV=1 as well")
        log.warning("authentication_disabled",
                    detail="GATEKEEPER_AUTH=off: EVERY caller is the local engineer; "
                           "never expose this service")
    hours = config.session_hours
    secure = not config.dev
    app.config.update(
        # __Host- cookies are only accepted over HTTPS, for this host, on every path
        SESSION_COOKIE_NAME="__Host-gatekeeper" if secure else "gatekeeper_session",
        SESSION_COOKIE_DOMAIN=None,
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=hours),
        WTF_CSRF_CHECK_DEFAULT=False,  # the guard runs CSRF on web endpoints only
    )


class WebOnlySessions(SecureCookieSessionInterface):
    """Cookie sessions that cost nothing when no cookie is sent: the JSON door authenticates
    by bearer token, so its requests usually carry none. Flask opens the session before it
    matches the URL, so the cookie's presence is what decides, not the endpoint."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not request.cookies.get(self.get_cookie_name(app)):
            # What the parent returns without a cookie, without building its signer first.
            return self.session_class() if app.secret_key else None
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    """Install the guard (first of all before-request hooks) and CSRF protection."""
    configure(app)
    app.session_interface = WebOnlySessions()
    csrf.init_app(app)
    app.before_request_funcs.setdefault(None, []).insert(0, _guard)
    app.teardown_request(_forget)
