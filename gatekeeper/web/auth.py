"""Sign-in and sign-out pages, and ``login_required`` for the other web views.

The guard in ``gatekeeper.server.guard`` has already authenticated the caller (session cookie or
trusted SSO header) and checked CSRF before any of these views run.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import structlog
from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.routing import BuildError

from gatekeeper.bootstrap import services, settings
from gatekeeper.domain import (
    AuthenticationError,
    ForbiddenError,
    Principal,
    TooManyAttemptsError,
)
from gatekeeper.domain.roles import ROLES
from gatekeeper.server.authorizer import PUBLIC_ATTRIBUTE, ROLES_ATTRIBUTE
from gatekeeper.server.guard import auth_enabled
from gatekeeper.server.identifier import SESSION_KEY
from gatekeeper.web.errors import html_errors

log = structlog.get_logger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

bp = Blueprint("auth", __name__, template_folder="templates")
html_errors(bp)


def login_required(*roles: str) -> Callable[[F], F]:
    """Only signed-in callers of ``roles`` (every role when none is named) see this view.

    The roles are recorded on the view for the access table, so the guard and the
    authorization matrix test know them; the check here is a second line of defence.
    """
    allowed = tuple(roles) or ROLES
    unknown = [r for r in allowed if r not in ROLES]
    if unknown:
        raise ValueError(f"unknown role(s) {unknown}")

    def wrap(view: F) -> F:
        @wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            who = g.get("principal")
            if not isinstance(who, Principal):
                return redirect(url_for("auth.sign_in"), code=303)
            if who.role not in allowed:
                raise ForbiddenError(f"the role {who.role} may not use this page")
            return view(*args, **kwargs)

        setattr(inner, ROLES_ATTRIBUTE, allowed)
        return cast(F, inner)

    return wrap


def public_page(view: F) -> F:
    """Mark a page anyone may see, signed in or not (the guard still checks CSRF)."""
    setattr(view, PUBLIC_ATTRIBUTE, True)
    return view


def safe_next(value: str | None) -> str | None:
    """A local path to go back to after signing in; anything pointing elsewhere is dropped."""
    if not value or len(value) > 2000 or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(c) < 32 for c in value):
        return None
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else None


def _landing(next_url: str | None) -> str:
    if next_url:
        return next_url
    try:
        return url_for("web.index")
    except BuildError:
        return "/"


def _form(status: int = 200, error: str | None = None, headers: dict[str, str] | None = None,
          **values: Any) -> ResponseReturnValue:
    page = render_template("auth/sign_in.html", error=error,
                           sso_header=settings(current_app).sso_header, **values)
    return page, status, headers or {}


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    """Show the sign-in form, or check the account and start a session."""
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if isinstance(g.get("principal"), Principal) and auth_enabled(current_app):
            return redirect(_landing(next_url), code=303)
        return _form(next_url=next_url)
    username = request.form.get("username", "")[:200]
    password = request.form.get("password", "")
    identity = services(current_app).identity
    try:
        _, session_id = identity.sign_in(username, password, request.remote_addr)
    except TooManyAttemptsError as exc:
        return _form(429, exc.detail, {"Retry-After": str(exc.retry_after)},
                     username=username, next_url=next_url)
    except AuthenticationError as exc:
        return _form(401, exc.detail, username=username, next_url=next_url)
    session.clear()  # a fresh session: nothing from before signing in carries over
    session[SESSION_KEY] = session_id
    session.permanent = True
    return redirect(_landing(next_url), code=303)


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> ResponseReturnValue:
    """End this browser's session (the guard checked the form's CSRF token)."""
    session_id = session.get(SESSION_KEY)
    if isinstance(session_id, str):
        services(current_app).identity.sign_out(session_id)
    session.clear()
    flash("You are signed out.", "success")
    return redirect(url_for("auth.sign_in"), code=303)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
