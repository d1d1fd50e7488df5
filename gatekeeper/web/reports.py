"""Report pages: a customer's month, its PDF, and the MSP's overview of every customer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, redirect, render_template, request, url_for

from gatekeeper.domain.roles import OVERVIEW_READERS, REQUEST_VIEWERS, is_customer_role
from gatekeeper.service.report_text import SECURITY_ORDER
from gatekeeper.service.reports import SORTS, Month
from gatekeeper.web.common import all_zones, html_errors, login_required, principal, svc
from gatekeeper.web.report_render import OUTCOME_WORDS, charts, render_pdf

bp = Blueprint("report_pages", __name__, url_prefix="/reports", template_folder="templates")
html_errors(bp)


def _report(customer_id: str, month: str) -> dict[str, Any]:
    return svc().reports.customer_report(customer_id, month, principal())


@bp.route("", methods=["GET"])
@login_required(*REQUEST_VIEWERS)
def index() -> Any:
    """This month: a customer's own report; the MSP's overview for everyone else."""
    who = principal()
    now = datetime.now(UTC)
    if is_customer_role(who.role) and who.organisation:
        zone = ZoneInfo(all_zones().get(who.organisation, "UTC"))
        month = Month.of(now.astimezone(zone)).key
        return redirect(url_for("report_pages.customer_month", customer_id=who.organisation,
                                month=month))
    return redirect(url_for("report_pages.overview", month=Month.of(now).key))


@bp.route("/<customer_id>/<month>", methods=["GET"])
@login_required(*REQUEST_VIEWERS)
def customer_month(customer_id: str, month: str) -> str:
    """Page one at a glance, security first, then the detail of every request."""
    report = _report(customer_id, month)
    return render_template(
        "reports/report.html", report=report, charts=charts(report), nav="reports",
        outcome_words=OUTCOME_WORDS, security_hint=SECURITY_ORDER,
        link=lambda rid: url_for("customer.detail", request_id=rid),
        pdf=url_for("report_pages.customer_pdf", customer_id=customer_id, month=month))


@bp.route("/<customer_id>/<month>/pdf", methods=["GET"])
@login_required(*REQUEST_VIEWERS)
def customer_pdf(customer_id: str, month: str) -> Response:
    """The same report as a PDF, rendered from the same HTML."""
    report = _report(customer_id, month)
    name = f"gatekeeper-{customer_id}-{report['month']}.pdf"
    return Response(render_pdf(report), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.route("/overview/<month>", methods=["GET"])
@login_required(*OVERVIEW_READERS)
def overview(month: str) -> str:
    """Every customer's month side by side, worst first, and the rules that hurt most."""
    sort = request.args.get("sort")
    view = svc().reports.overview(month, principal(), sort)
    return render_template("reports/overview.html", view=view, sorts=SORTS, nav="reports")
