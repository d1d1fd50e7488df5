"""Customer self-service: the request form, the answer page and "my requests"."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import structlog
from flask import Blueprint, render_template, request, url_for
from werkzeug.wrappers import Response

from gatekeeper.domain import FieldError, NotFoundError, ValidationError
from gatekeeper.domain.lifecycle import OPEN_STATES, STATES
from gatekeeper.domain.roles import REQUEST_VIEWERS, SUBMITTERS, is_customer_role
from gatekeeper.service.representation import request_to_dict
from gatekeeper.service.requests import RequestRecord
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
    timezones,
    titles,
)
from gatekeeper.web.present import local_time, state_label

log = structlog.get_logger(__name__)

bp = Blueprint("customer", __name__, url_prefix="/requests", template_folder="templates")
html_errors(bp)

LIST_FILTERS = {
    "open": ("Open", OPEN_STATES),
    "granted": ("Granted", ("granted",)),
    "closed": ("Closed", tuple(s for s in STATES if s not in (*OPEN_STATES, "granted"))),
    "all": ("All", ()),
}


def _render_form(result: forms.FormResult | None, status: int = 200) -> tuple[str, int]:
    cat = catalog()
    values = result.values if result else forms.new_form_values(cat["customers"])
    errors = result.errors if result else {}
    return render_template(
        "requests/new.html", cat=cat, values=values, errors=errors,
        zones=timezones(), nav="new",
    ), status


@bp.route("/new", methods=["GET", "POST"])
@login_required(*SUBMITTERS)
def new_request() -> Any:
    """The access-request form; a valid one is submitted and answered at once."""
    if request.method == "GET":
        return _render_form(None)
    cat = catalog()
    result = forms.parse_new_request(request.form, cat["customers"], timezones())
    if not result.ok:
        return _render_form(result, 422)
    try:
        submission = svc().requests.submit(result.body, principal(),
                                           idempotency_key=result.values["idempotency_key"])
    except ValidationError as exc:
        forms.merge_service_errors(result, exc.errors)
        return _render_form(result, 422)
    log.info("web_request_submitted", request_id=submission.request_id,
             replayed=submission.replayed)
    return Response(status=303, headers={
        "Location": url_for("customer.detail", request_id=submission.request_id)})


@bp.route("", methods=["GET"])
@login_required(*REQUEST_VIEWERS)
def my_requests() -> str:
    """The caller's requests (customers: their organisation's), newest first."""
    chosen, params = tab_query(LIST_FILTERS, "all", limit=25)
    who = principal()
    if not is_customer_role(who.role):
        params["requester"] = who.subject
    page = svc().requests.search(who, params)
    cat = catalog()
    return render_template(
        "requests/list.html", page=page, names=titles(cat), zones=all_zones(),
        filters=LIST_FILTERS, chosen=chosen, nav="mine", short_id=short_id,
    )


def detail_context(record: RequestRecord) -> dict[str, Any]:
    """What the answer page and the console's detail page both show."""
    cat = catalog()
    rep = request_to_dict(record)
    alternatives = sorted(record.decision.alternatives, key=lambda a: a.rank)
    follow_ups = []
    for fid in record.follow_up_ids:
        try:
            follow_ups.append(svc().requests.get(fid, principal()))
        except NotFoundError:  # a follow-up the caller may not see is skipped
            continue
    return {
        "record": record,
        "deadline": svc().deadlines.of(record),
        "rep": rep,
        "decision": record.decision,
        "alternatives": alternatives,
        "names": titles(cat),
        "tz": all_zones().get(record.customer, "UTC"),
        "follow_ups": follow_ups,
        "short_id": short_id,
        "feedback": {f.stage: f for f in svc().feedback.of(record.id)},
    }


@bp.route("/<request_id>", methods=["GET"])
@login_required(*REQUEST_VIEWERS)
def detail(request_id: str) -> str:
    """The answer: consequences with figures, ranked alternatives, and what can be done."""
    record = svc().requests.get(request_id, principal())
    return render_template("requests/detail.html", nav="mine", errors={},
                           **detail_context(record))


@bp.route("/<request_id>/accept", methods=["POST"])
@login_required(*SUBMITTERS)
def accept(request_id: str) -> Response:
    """Accept every consequence, each one ticked explicitly."""
    ticked = request.form.getlist("consequences")
    record = svc().requests.get(request_id, principal())
    known = [str(c.id) for c in record.decision.consequences]
    if record.state == "awaiting_acceptance" and sorted(set(ticked)) != sorted(known):
        errors = {"consequences": ["Tick each consequence to confirm you accept it."]}
        page = render_template("requests/detail.html", nav="mine", errors=errors,
                               ticked=ticked, **detail_context(record))
        return Response(page, status=422, mimetype="text/html")

    def attempt() -> str:
        body = {"consequences": ticked, "reason": forms.reason(request.form)}
        after = svc().requests.accept(request_id, principal(), body)
        return (f"You accepted the consequences. The request is now: "
                f"{state_label(after.state).lower()}.")

    return act(request_id, "customer.detail", attempt)


@bp.route("/<request_id>/choose", methods=["POST"])
@login_required(*SUBMITTERS)
def choose(request_id: str) -> Response:
    """Take an alternative instead; a linked follow-up request carries it."""

    def attempt() -> str:
        body = {"alternative": request.form.get("alternative", ""),
                "reason": forms.reason(request.form)}
        _, follow = svc().requests.choose(request_id, principal(), body)
        chosen = follow.decision.chosen_alternative
        title = chosen.title if chosen is not None else follow.alternative_id
        return (f"You chose “{title}” instead. It continues as request {short_id(follow)}: "
                f"{state_label(follow.state).lower()}.")

    return act(request_id, "customer.detail", attempt)


@bp.route("/<request_id>/withdraw", methods=["POST"])
@login_required(*SUBMITTERS)
def withdraw(request_id: str) -> Response:
    """Withdraw an open request."""

    def attempt() -> str:
        svc().requests.withdraw(request_id, principal(), {"reason": forms.reason(request.form)})
        return "You withdrew the request. Nothing more will happen with it."

    return act(request_id, "customer.detail", attempt)


@bp.route("/<request_id>/extend", methods=["POST"])
@login_required(*SUBMITTERS)
def extend(request_id: str) -> Response:
    """Ask for more time on a live grant; the policy decides it like any request."""
    svc().requests.get(request_id, principal())  # another organisation's request: 404

    def attempt() -> str:
        try:
            hours = float((request.form.get("hours") or "").strip())
        except ValueError:
            raise ValidationError([FieldError(
                "hours", "The number of hours must be a number, like 2.")]) from None
        body = {"hours": hours, "reason": forms.reason(request.form)}
        try:
            after, linked = svc().requests.extend(request_id, principal(), body)
        except ValidationError as exc:  # said as a sentence on the page
            raise ValidationError([replace(e, problem=f"The number of hours {e.problem}.")
                                   if e.field == "hours" else e for e in exc.errors]) from exc
        if linked is None:
            return ("You have more time. Your access now ends at "
                    f"{local_time(after.grant_ends_at, zone_of(after))}.")
        return (f"Your request for more time continues as request {short_id(linked)}: "
                f"{state_label(linked.state).lower()}. Your access still ends at "
                f"{local_time(after.grant_ends_at, zone_of(after))}.")

    return act(request_id, "customer.detail", attempt)


def zone_of(record: RequestRecord) -> str:
    return all_zones().get(record.customer, "UTC")
