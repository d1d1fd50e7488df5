"""The engineers' console: the approval queue, a request with its reasons trace, customers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from werkzeug.wrappers import Response

from gatekeeper.domain import ValidationError
from gatekeeper.domain.lifecycle import OPEN_STATES, STATES, allowed_actions
from gatekeeper.domain.roles import CONSOLE_REVOKERS, DECIDERS, MSP_STAFF
from gatekeeper.web import forms
from gatekeeper.web.common import (
    act,
    all_zones,
    catalog,
    html_errors,
    login_required,
    principal,
    short_id,
    svc,
    tab_query,
    titles,
)
from gatekeeper.web.customer import detail_context
from gatekeeper.web.present import state_label

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
html_errors(bp)

QUEUES = {
    "awaiting_approval": ("Awaiting approval", ("awaiting_approval",)),
    "awaiting_acceptance": ("Awaiting the customer", ("awaiting_acceptance",)),
    "granted": ("Granted now", ("granted",)),
    "all": ("All", ()),
}


def _search(params: dict[str, Any]) -> Any:
    if request.args.get("cursor"):
        params["cursor"] = request.args["cursor"]
    return svc().requests.search(principal(), params)


@bp.route("", methods=["GET"])
@login_required(*MSP_STAFF)
def queue() -> str:
    """Requests awaiting approval (or another queue), newest first."""
    chosen, params = tab_query(QUEUES, "awaiting_approval", limit=50)
    page = svc().requests.search(principal(), params)
    # By when each waiting request should be answered: the policy's deadline, as on its page.
    dues = {r.id: svc().deadlines.of(r) for r in page.items}
    return render_template(
        "console/queue.html", page=page, names=titles(catalog()), zones=all_zones(),
        queues=QUEUES, chosen=chosen, nav="queue", short_id=short_id, dues=dues,
    )


def _detail_page(request_id: str, errors: dict[str, list[str]] | None = None,
                 values: dict[str, Any] | None = None, status: int = 200) -> Response:
    record = svc().requests.get(request_id, principal())
    context = detail_context(record)
    customer = next((c for c in catalog()["customers"] if c["id"] == record.customer), None)
    env: dict[str, Any] = next((e for e in (customer or {}).get("environments", [])
                if e["id"] == record.environment), {})
    page = render_template(
        "console/detail.html", nav="queue", errors=errors or {}, values=values or {},
        env_systems=env.get("systems", []),
        notices=[i.to_dict() for i in svc().outbox.find(request_id=record.id, limit=200)],
        **context,
    )
    return Response(page, status=status, mimetype="text/html")


@bp.route("/requests/<request_id>", methods=["GET"])
@login_required(*MSP_STAFF)
def detail(request_id: str) -> Response:
    """A request with its decision, the reasons trace, its history and the approver's forms."""
    return _detail_page(request_id)


@bp.route("/requests/<request_id>/approve", methods=["POST"])
@login_required(*DECIDERS)
def approve(request_id: str) -> Response:
    """Approve, optionally narrowing the duration or the systems."""
    record = svc().requests.get(request_id, principal())
    current = float(record.grant.duration_hours or 0)
    body, errors = forms.parse_approval(request.form, current)
    values = {"duration_hours": request.form.get("duration_hours", ""),
              "systems": request.form.getlist("systems"),
              "narrow_systems": bool(request.form.get("narrow_systems")),
              "reason": request.form.get("reason", "")}
    if errors and "approve" in allowed_actions(record.state):
        return _detail_page(request_id, errors, values, 422)

    def attempt() -> str:
        after = svc().requests.approve(request_id, principal(), body)
        if after.state == "granted":
            return "Approved. Access is granted."
        if after.waiting_for == ["acceptance"]:
            return ("Approved. Access starts once the customer accepts the consequences.")
        return (f"Your approval is recorded; {after.approvals_needed} approvals are needed "
                "in all.")

    try:
        return act(request_id, "console.detail", attempt, inline=(ValidationError,))
    except ValidationError as exc:  # narrowing problems belong next to their fields
        field_errors: dict[str, list[str]] = {}
        for e in exc.errors:
            key = e.field.split(".", 1)[0] or "reason"
            field_errors.setdefault(key, []).append(e.problem[:1].upper() + e.problem[1:])
        return _detail_page(request_id, field_errors, values, 422)


@bp.route("/requests/<request_id>/reject", methods=["POST"])
@login_required(*DECIDERS)
def reject(request_id: str) -> Response:
    """Reject, saying why (the customer reads the reason)."""
    reason = forms.reason(request.form)
    if not reason:
        record = svc().requests.get(request_id, principal())
        if "reject" in allowed_actions(record.state):
            errors = {"reject_reason": ["Say why, so the customer knows what to do instead."]}
            return _detail_page(request_id, errors, {}, 422)

    def attempt() -> str:
        svc().requests.reject(request_id, principal(), {"reason": reason})
        return "Rejected. The customer sees your reason."

    return act(request_id, "console.detail", attempt)


@bp.route("/requests/<request_id>/revoke", methods=["POST"])
@login_required(*CONSOLE_REVOKERS)
def revoke(request_id: str) -> Response:
    """End a grant early."""
    reason = forms.reason(request.form)
    if not reason:
        errors = {"revoke_reason": ["Say why the access ends early."]}
        return _detail_page(request_id, errors, {}, 422)

    def attempt() -> str:
        after = svc().requests.revoke(request_id, principal(), {"reason": reason})
        return f"Access revoked. The request is now {state_label(after.state, 'msp').lower()}."

    return act(request_id, "console.detail", attempt)


@bp.route("/customers", methods=["GET"])
@login_required(*MSP_STAFF)
def customers() -> str:
    """Every customer with the number of its open requests."""
    cat = catalog()
    open_counts = {}
    for c in cat["customers"]:
        page = svc().requests.search(principal(), {"customer": c["id"],
                                                   "state": list(OPEN_STATES), "limit": "200"})
        open_counts[c["id"]] = len(page.items)
    return render_template("console/customers.html", cat=cat, open_counts=open_counts,
                           nav="customers")


@bp.route("/customers/<customer_id>", methods=["GET"])
@login_required(*MSP_STAFF)
def customer(customer_id: str) -> str:
    """One customer: contract facts and its requests, filterable by state."""
    cat = catalog()
    info = next((c for c in cat["customers"] if c["id"] == customer_id), None)
    if info is None:
        abort(404)
    chosen = request.args.get("state", "")
    params: dict[str, Any] = {"customer": customer_id, "limit": "50"}
    if chosen in STATES:
        params["state"] = [chosen]
    else:
        chosen = ""
    page = _search(params)
    return render_template(
        "console/customer.html", info=info, page=page, names=titles(cat), zones=all_zones(),
        states=STATES, chosen=chosen, nav="customers", short_id=short_id,
    )
