"""What the customer pages and the console share: access, the catalogue, errors, actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from flask import current_app, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from gatekeeper.bootstrap import Services, services
from gatekeeper.domain import (
    ConflictError,
    ForbiddenError,
    Principal,
    ValidationError,
)
from gatekeeper.server.identifier import current_principal
from gatekeeper.service.catalog import build_catalog, visible_customers
from gatekeeper.service.requests import RequestRecord
from gatekeeper.web.auth import login_required
from gatekeeper.web.errors import html_errors, render_error
from gatekeeper.web.present import state_label

__all__ = ["act", "all_zones", "catalog", "html_errors", "login_required", "principal",
           "render_error", "short_id", "svc", "timezones", "titles"]

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
