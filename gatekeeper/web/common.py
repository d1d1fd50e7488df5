"""What the customer pages and the console share: access, the catalogue, errors, actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from gatekeeper.bootstrap import Services, services
from gatekeeper.domain import (
    ConflictError,
    ForbiddenError,
    GatekeeperError,
    Principal,
    TooManyAttemptsError,
    ValidationError,
)
from gatekeeper.server.errors import status_for
from gatekeeper.server.identifier import current_principal
from gatekeeper.service.catalog import build_catalog, visible_customers
from gatekeeper.service.requests import RequestRecord
from gatekeeper.web.auth import login_required
from gatekeeper.web.present import state_label

__all__ = ["act", "all_zones", "catalog", "html_errors", "login_required", "principal",
           "short_id", "svc", "timezones", "titles"]

log = structlog.get_logger(__name__)


def principal() -> Principal:
    return current_principal()


def svc() -> Services:
    return services(current_app)


def catalog() -> dict[str, Any]:
    """The catalogue this caller may request from (their own organisation for customers)."""
    bundle = svc().store.current.bundle
    cat = build_catalog(bundle, principal())
    data = bundle.data.get("customers", {}) or {}
    for customer in cat["customers"]:  # environments are titled in the contracts' data
        envs = (data.get(customer["id"]) or {}).get("environments") or {}
        for env in customer["environments"]:
            if env.get("name") == env["id"]:
                env["name"] = (envs.get(env["id"]) or {}).get("title") or env["id"]
    return cat


def timezones() -> dict[str, str]:
    """Customer id -> IANA timezone of every customer this caller may see."""
    data = svc().store.current.bundle.data
    return {cid: str(c.get("timezone") or "UTC")
            for cid, c in visible_customers(data, principal()).items()}


def all_zones() -> dict[str, str]:
    """Customer id -> timezone of every customer, to show times where they live."""
    data = svc().store.current.bundle.data.get("customers", {}) or {}
    return {cid: str(c.get("timezone") or "UTC") for cid, c in data.items()}


def titles(cat: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Human titles of access levels, purposes, customers and environments, by id."""
    out: dict[str, dict[str, str]] = {
        "access": {a["id"]: a.get("title", a["id"]) for a in cat["access_levels"]},
        "purpose": {p["id"]: p.get("title", p["id"]) for p in cat["purposes"]},
        "alternative": {a["id"]: a.get("title", a["id"]) for a in cat["alternatives"]},
        "customer": {c["id"]: c.get("name", c["id"]) for c in cat["customers"]},
        "environment": {},
    }
    for customer in cat["customers"]:
        for env in customer["environments"]:
            out["environment"][f"{customer['id']}/{env['id']}"] = env.get("name", env["id"])
    return out


def render_error(status: int, title: str, detail: str) -> Response:
    body = render_template("error.html", status=status, title=title, detail=detail)
    return Response(body, status=status, mimetype="text/html")


# The title of the page each status of a domain error shows; the detail is the error's own.
PAGE_TITLES: dict[int, str] = {
    400: "That did not work",
    401: "Please sign in",
    403: "Not allowed",
    404: "Request not found",
    409: "This changed meanwhile",
    422: "That did not work",
    429: "Too many attempts",
    503: "Gatekeeper cannot answer right now",
}


def _domain_page(exc: GatekeeperError) -> Response:
    """A domain error as a page, with the status ``gatekeeper.server.errors`` gives it."""
    status = status_for(exc)
    title = PAGE_TITLES.get(status, PAGE_TITLES[400])
    if status == 404:
        return render_error(status, title,
                            "There is no request with this reference that you may see.")
    if status == 403:
        return render_error(status, title, exc.detail[:1].upper() + exc.detail[1:] + ".")
    if status == 503:
        log.error("web_request_failed_closed", code=exc.code, detail=exc.detail)
        return render_error(status, title,
                            "Nothing was recorded. Please try again in a few minutes; if it "
                            "keeps happening, contact your MSP.")
    response = render_error(status, title, exc.detail)
    if isinstance(exc, TooManyAttemptsError):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _page_for(exc: Exception) -> Response:
    if isinstance(exc, GatekeeperError):
        return _domain_page(exc)
    if isinstance(exc, HTTPException):
        if exc.code == 400 and "CSRF" in (exc.description or ""):
            return render_error(400, "This form has expired",
                                "For your safety a form is only valid for a while. Go back, "
                                "reload the page and send it again; nothing was changed.")
        return render_error(exc.code or 500, exc.name, exc.description or "")
    log.exception("web_request_crashed")
    return render_error(500, "Something went wrong", "An unexpected error occurred; nothing "
                        "more was changed. Please try again.")


def html_errors(bp: Blueprint) -> None:
    """Errors inside these pages are HTML pages, not the API's problem+json."""
    bp.register_error_handler(Exception, _page_for)


def act(
    record_id: str, endpoint: str, attempt: Callable[[], str],
    inline: tuple[type[Exception], ...] = (),
) -> Response:
    """Run a transition from a form; flash the outcome and show the request as it is now.

    A stale form (the request was decided meanwhile) says so instead of failing. Errors of
    the ``inline`` types are raised for the caller to show next to their fields.
    """
    try:
        message = attempt()
        flash(message, "success")
    except ConflictError as exc:
        now = f" It is now: {state_label(exc.state, 'customer').lower()}." if exc.state else ""
        flash("This request changed while you were looking at it, so nothing was done."
              + now + " Here is where it stands.", "warning")
    except ForbiddenError as exc:
        flash(exc.detail[:1].upper() + exc.detail[1:] + ".", "error")
    except ValidationError as exc:
        if isinstance(exc, inline):
            raise
        flash(" ".join(e.problem for e in exc.errors) or exc.detail, "error")
    return redirect(url_for(endpoint, request_id=record_id), code=303)


Filters = dict[str, tuple[str, tuple[str, ...]]]


def tab_query(filters: Filters, default: str, limit: int) -> tuple[str, dict[str, Any]]:
    """The tab the page asked for (``?show=``, else ``default``) as search parameters,
    with the page's ``cursor`` carried over."""
    chosen = request.args.get("show", default)
    if chosen not in filters:
        chosen = default
    params: dict[str, Any] = {"limit": str(limit)}
    if filters[chosen][1]:
        params["state"] = list(filters[chosen][1])
    if request.args.get("cursor"):
        params["cursor"] = request.args["cursor"]
    return chosen, params


def short_id(record: RequestRecord | str) -> str:
    value = record if isinstance(record, str) else record.id
    return value.split("-", 1)[0]
