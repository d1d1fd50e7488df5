"""The plain-language lines at the top of a customer's report, said from its figures.

Short sentences a customer reads (US grade 8 or below), each one consistent with the figure
beside it; times are in the customer's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Above the list of security items: how they are ordered (policies/gatekeeper/reports/security.rego).
SECURITY_ORDER = ("Every security item of the month is here. The ones that matter most to you "
                  "come first: your most critical systems, then break-glass and emergencies.")


def _n(count: float, one: str, many: str) -> str:
    value = int(count) if float(count).is_integer() else round(count, 1)
    return f"{value} {one if value == 1 else many}"


def summary_lines(report: Mapping[str, Any]) -> list[str]:
    """What happened this month, in a few short lines."""
    title = report["title"]
    if report["empty"]:
        return [f"There were no requests in {title}. There is nothing to report yet."]
    out = report["outcomes"]
    lines = [f"There {'was' if out['total'] == 1 else 'were'} "
             f"{_n(out['total'], 'request', 'requests')} in {title}."]
    lines.append(f"{out['allow']} got a plain yes. {out['allow_with_consequences']} had a cost "
                 f"to accept. {out['needs_approval']} needed an approver. "
                 f"{out['deny']} got a no with other options.")
    saved = report["downtime_avoided"]
    if saved["choices"]:
        lines.append(f"You picked a safer option {_n(saved['choices'], 'time', 'times')}. "
                     f"That saved {_n(saved['hours'], 'hour', 'hours')} of downtime.")
    for env in report["sla"]["environments"]:
        used, budget = env["used_minutes"], env["budget_minutes"]
        over = " That is over the budget." if used > budget else ""
        lines.append(f"{env['title']} used {_n(used, 'minute', 'minutes')} of downtime. "
                     f"The SLA allows {_n(budget, 'minute', 'minutes')} a month.{over}")
    answers = report["answer_times"]
    if answers["answered"]:
        lines.append(f"Approvers answered {answers['on_time']} of {answers['answered']} "
                     "on time.")
    if answers["waiting"]:
        lines.append(f"{_n(answers['waiting'], 'request still waits', 'requests still wait')} "
                     "for an approver.")
    security = report["security"]
    if security["items"]:
        lines.append(f"There {'was' if len(security['items']) == 1 else 'were'} "
                     f"{_n(len(security['items']), 'security item', 'security items')}. "
                     f"{security['open']} still open. Each one is listed below.")
    else:
        lines.append("There were no security items.")
    said = report["feedback"]
    if said["answers"]:
        lines.append(f"You rated {_n(said['answers'], 'answer', 'answers')}. "
                     f"{said['helped']} of them helped.")
    return lines
