"""/v1/reports: a customer's monthly report as JSON (a customer sees only its own)."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, request
from flask.typing import ResponseReturnValue

from gatekeeper.bootstrap import services
from gatekeeper.server.identifier import current_principal

bp = Blueprint("reports", __name__, url_prefix="/v1")


@bp.get("/reports/<customer_id>")
def customer_report(customer_id: str) -> ResponseReturnValue:
    """The month's figures, security items, detail and the requesters' feedback (without
    ``month``: the customer's current month)."""
    return services(current_app).reports.customer_report(
        customer_id, request.args.get("month"), current_principal())


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
