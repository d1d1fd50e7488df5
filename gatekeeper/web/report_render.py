"""A monthly report as HTML (the page, the printable document) and as PDF.

The page and the document share one body template (``reports/_body.html``); the document is a
standalone HTML file with its stylesheet inline, which the CLI writes and WeasyPrint (with
Debian's Pango) turns into the PDF. Both run without a request: the CLI renders them too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from gatekeeper.service.report_text import SECURITY_ORDER
from gatekeeper.web.charts import Bar, bar_chart, budget_chart, column_chart

HERE = Path(__file__).resolve().parent
OUTCOME_WORDS = {"allow": "Yes", "allow_with_consequences": "Yes, at a cost",
                 "needs_approval": "Needed an approver", "deny": "No, other ways given"}
OUTCOME_TONES = {"allow": "ok", "allow_with_consequences": "warn", "needs_approval": "brand",
                 "deny": "bad"}

def charts(report: Mapping[str, Any]) -> dict[str, Any]:
    """The report's charts, each described in words (the tables beside them are in the
    template)."""
    out = report["outcomes"]
    answers = report["answer_times"]
    found: dict[str, Any] = {
        "outcomes": bar_chart("chart-outcomes", "Requests by answer", [
            Bar(OUTCOME_WORDS[k], out[k], OUTCOME_TONES[k]) for k in OUTCOME_WORDS]),
        "answers": bar_chart("chart-answers", "Approver answers against the deadline", [
            Bar("On time", answers["on_time"], "ok"), Bar("Late", answers["late"], "bad"),
            Bar("Still waiting", answers["waiting"], "quiet")]),
        "trend": column_chart(
            "chart-trend", "Answers that helped, last six months (percent)",
            [Bar(t["title"][:3], t["helped_percent"] or 0,
                 "ok" if (t["helped_percent"] or 0) >= 50 else "warn",
                 text=f"{t['helped_percent']}%" if t["helped_percent"] is not None else "none")
             for t in report["trend"]], ceiling=100),
        "sla": [],
    }
    for env in report["sla"]["environments"]:
        found["sla"].append(budget_chart(
            f"chart-sla-{env['environment']}", f"SLA minutes used: {env['title']}",
            env["used_minutes"], env["budget_minutes"], "minutes"))
    return found

@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                      autoescape=select_autoescape(("html",)))
    env.globals["outcome_words"] = OUTCOME_WORDS
    return env

def stylesheet() -> Markup:
    """The site's stylesheet and the report's, inlined in the document."""
    css = "\n".join((HERE / "static" / name).read_text(encoding="utf-8")
                    for name in ("gatekeeper.css", "report.css"))
    return Markup(css)

def render_document(report: Mapping[str, Any]) -> str:
    """The whole report as one standalone HTML document (for a file or the PDF)."""
    template = _environment().get_template("reports/document.html")
    return template.render(report=report, charts=charts(report), css=stylesheet(),
                           link=None, security_hint=SECURITY_ORDER)

def render_pdf(report: Mapping[str, Any]) -> bytes:
    """The document as a PDF, through WeasyPrint."""
    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # no progress lines, no CSS notes
    pdf = HTML(string=render_document(report), base_url=str(HERE)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
