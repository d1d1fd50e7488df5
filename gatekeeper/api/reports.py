"""/v1/reports: a customer's monthly report as JSON (a customer sees only its own), and the
MSP's overview of every customer's month."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, request
from flask.typing import ResponseReturnValue

from gatekeeper.bootstrap import services
from gatekeeper.domain import FieldError, ValidationError
from gatekeeper.server.identifier import current_principal
from gatekeeper.service.reports import SORTS

bp = Blueprint("reports", __name__, url_prefix="/v1")


@bp.get("/reports/<customer_id>")
def customer_report(customer_id: str) -> ResponseReturnValue:
    """The month's figures, security items, detail and the requesters' feedback (without
    ``month``: the customer's current month)."""
    return services(current_app).reports.customer_report(
        customer_id, request.args.get("month"), current_principal())


@bp.get("/reports")
def overview() -> ResponseReturnValue:
    """Every customer's month side by side (``sort``: worst first unless asked), and the rules
    that stood behind the most needs_approval and deny answers; for the MSP's people only."""
    sort = request.args.get("sort")
    if sort is not None and sort not in SORTS:
        raise ValidationError([FieldError("sort", f"must be one of {', '.join(SORTS)}")])
    return services(current_app).reports.overview(request.args.get("month"),
                                                 current_principal(), sort)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
