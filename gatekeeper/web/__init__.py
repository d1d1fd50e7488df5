"""The browser door: the customer self-service form and the engineers' approval console.

Server-rendered Jinja templates, one stylesheet, no JavaScript. The views parse forms, call
the service layer and render what it answers; what is decided lives in ``policies/``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, g, redirect, url_for
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from gatekeeper.domain import Principal, roles
from gatekeeper.domain.identity import ANONYMOUS_ENGINEER
from gatekeeper.domain.roles import is_msp_staff
from gatekeeper.server.guard import auth_enabled
from gatekeeper.web.errors import html_errors

bp = Blueprint(
    "web",
    __name__,
    static_folder="static",
    static_url_path="/static/web",
    template_folder="templates",
)
html_errors(bp)


def auth_off() -> bool:
    """``GATEKEEPER_AUTH=off``: every caller is the local engineer (development only)."""
    return not auth_enabled(current_app)


def signed_in() -> Principal | None:
    """The principal of this request when someone is signed in, else None."""
    principal = g.get("principal")
    if isinstance(principal, Principal):
        return principal
    return ANONYMOUS_ENGINEER if auth_off() else None


def url_if(endpoint: str, **values: Any) -> str | None:
    """``url_for`` that answers None when the endpoint is not registered (yet)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


@bp.app_context_processor
def _template_globals() -> dict[str, Any]:
    # Templates compare roles with these groups, never with role names of their own.
    return {"viewer": signed_in(), "roles": roles, "msp_roles": roles.MSP_STAFF,
            "url_if": url_if}


@bp.route("/")
def index() -> Response:
    """Send each role to its door: customers to their requests, MSP staff to the queue."""
    who = signed_in()
    if who is None:
        target = url_if("auth.sign_in") or url_for("customer.my_requests")
    elif is_msp_staff(who.role):
        target = url_for("console.queue")
    else:
        target = url_for("customer.my_requests")
    return redirect(target)


def init_app(app: Flask) -> None:
    """Register the web blueprints and the template helpers."""
    from gatekeeper.web import console, customer, feedback, present, reports

    app.register_blueprint(bp)
    app.register_blueprint(customer.bp)
    app.register_blueprint(console.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(feedback.bp)
    present.init_app(app)
