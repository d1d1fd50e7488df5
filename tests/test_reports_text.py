"""The lines a customer reads on the report are plain (US grade 8 or below, as
tests/test_plain_language.py grades the policy's texts) and say the figures beside them."""

from __future__ import annotations

from typing import Any

import pytest
import textstat

from gatekeeper.service.report_text import SECURITY_ORDER, summary_lines
from gatekeeper.web.feedback import THANKS

MAX_GRADE = 8.0


def _report(**changes: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "title": "March 2026", "empty": False,
        "outcomes": {"allow": 1, "allow_with_consequences": 0, "needs_approval": 2, "deny": 0,
                     "total": 3},
        "downtime_avoided": {"choices": 2, "hours": 30.5},
        "sla": {"environments": [{"title": "Production ERP", "used_minutes": 15,
                                  "budget_minutes": 216}]},
        "answer_times": {"answered": 2, "on_time": 2, "waiting": 1},
        "security": {"items": [{}], "open": 1},
        "feedback": {"answers": 1, "helped": 0},
    }
    report.update(changes)
    return report


CASES = {
    "busy": _report(),
    "quiet": _report(security={"items": [], "open": 0}, feedback={"answers": 0, "helped": 0},
                     downtime_avoided={"choices": 0, "hours": 0},
                     answer_times={"answered": 0, "on_time": 0, "waiting": 0}),
    "over budget": _report(sla={"environments": [{"title": "Production web shop",
                                                  "used_minutes": 1440,
                                                  "budget_minutes": 43}]}),
    "empty": _report(empty=True),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_summary_lines_are_plain_and_say_the_figures(name: str) -> None:
    lines = summary_lines(CASES[name])
    for line in lines:
        assert textstat.flesch_kincaid_grade(line) <= MAX_GRADE, line
    text = " ".join(lines)
    if name == "busy":
        for said in ("3 requests in March 2026", "1 got a plain yes", "2 needed an approver",
                     "2 times", "30.5 hours of downtime", "15 minutes of downtime",
                     "216 minutes a month", "2 of 2 on time", "1 request still waits",
                     "1 security item", "1 still open", "1 answer. 0 of them helped"):
            assert said in text, (said, text)
        assert "over the budget" not in text
    if name == "over budget":
        assert "1440 minutes of downtime. The SLA allows 43 minutes a month. That is over " \
               "the budget." in text
    if name == "quiet":
        assert "There were no security items." in text and "safer option" not in text
    if name == "empty":
        assert lines == ["There were no requests in March 2026. There is nothing to report yet."]


def test_the_fixed_texts_are_plain() -> None:
    for text in (SECURITY_ORDER, *THANKS.values()):
        assert textstat.flesch_kincaid_grade(text) <= MAX_GRADE, text
