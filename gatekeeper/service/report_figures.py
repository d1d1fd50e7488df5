"""The figures of a monthly report, computed from the ledger's records alone.

Pure functions over recorded requests, their events, their recorded decisions and the
requesters' feedback; the policy's deadlines come in through ``due_of``. Nothing here reads a
database or an engine (``service/reports.py`` gathers, this module counts).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from gatekeeper.domain import RequestRecord
from gatekeeper.domain.decision import OUTCOMES
from gatekeeper.domain.feedback import Feedback
from gatekeeper.domain.lifecycle import (
    AWAITING_APPROVAL,
    EXPIRED,
    GRANTED,
    OPEN_STATES,
    REVOKED,
    Event,
)
from gatekeeper.ledger.situation_sql import recorded_downtime_hours

WAS_GRANTED = (GRANTED, EXPIRED, REVOKED)
ANSWERS = ("approve", "reject")  # what an approver's answer to a waiting request is

DueOf = Callable[[str, datetime, datetime], "datetime | None"]


def utc_text(at: datetime | None) -> str | None:
    return at.isoformat().replace("+00:00", "Z") if at is not None else None


def local_text(at: datetime | None, zone: ZoneInfo) -> str:
    """A time as the customer reads it: "Mon 23 Nov 2026, 10:00 CET"."""
    if at is None:
        return ""
    local = at.astimezone(zone)
    return f"{local.strftime('%a %d %b %Y, %H:%M')} {local.strftime('%Z')}"


def hours_between(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 3600, 2)


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def outcomes(records: Sequence[RequestRecord]) -> dict[str, int]:
    counts = {o: 0 for o in OUTCOMES}
    for r in records:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    return {**counts, "total": len(records)}


def chosen_alternative(record: RequestRecord, follow: Mapping[str, RequestRecord]
                       ) -> Mapping[str, Any] | None:
    """The alternative the requester took on ``record``, as its decision offered it."""
    chosen = next((e.details.get("alternative_id") for e in record.events
                   if e.action == "choose"), None)
    if chosen is None:
        return None
    for alternative in record.decision.alternatives:
        if alternative.id == chosen:
            return alternative.to_dict()
    linked = [follow[f] for f in record.follow_up_ids if f in follow]
    for f in linked:
        if f.decision.chosen_alternative is not None:
            return f.decision.chosen_alternative.to_dict()
    return {"id": chosen, "title": chosen, "downtime_hours": 0}


def downtime_avoided(records: Sequence[RequestRecord]) -> dict[str, Any]:
    """Hours the requested access would have cost (its recorded downtime consequences) less
    the downtime of the alternative the requester chose instead, for every choice."""
    by_id = {r.id: r for r in records}
    items = []
    for r in records:
        alternative = chosen_alternative(r, by_id)
        if alternative is None:
            continue
        requested = recorded_downtime_hours(r.decision.to_dict())
        instead = _num(alternative.get("downtime_hours"))
        items.append({"request_id": r.id, "requested_hours": requested,
                      "alternative_id": alternative.get("id"),
                      "alternative_title": alternative.get("title"),
                      "alternative_hours": instead,
                      "avoided_hours": max(0.0, requested - instead)})
    return {"hours": sum(i["avoided_hours"] for i in items), "choices": len(items),
            "items": items}


def sla_used(records: Sequence[RequestRecord], customer: Mapping[str, Any],
             tiers: Mapping[str, Any]) -> dict[str, Any]:
    """SLA minutes each covered environment used this month (the recorded ``sla``
    consequence of every request in ``records`` that was granted: those whose grant started
    this month) against its tier's monthly budget."""
    envs = customer.get("environments") or {}
    rows = []
    for env_id, env in sorted(envs.items()):
        sla = env.get("sla") or {}
        if sla.get("covered") is False:
            continue
        tier = tiers.get(str(sla.get("tier") or customer.get("tier"))) or {}
        used = 0.0
        for r in records:
            if r.environment != env_id or r.state not in WAS_GRANTED or not r.grant_starts_at:
                continue
            used += sum(_num(c.get("sla_minutes_consumed"))
                        for c in r.decision.consequences if c.kind == "sla")
        budget = _num(tier.get("monthly_downtime_budget_minutes"))
        rows.append({"environment": env_id, "title": env.get("title") or env_id,
                     "used_minutes": used, "budget_minutes": budget,
                     "target_percent": tier.get("uptime_target_percent"),
                     "over_budget": used > budget})
    return {"environments": rows, "used_minutes": sum(r["used_minutes"] for r in rows),
            "over_budget": any(r["over_budget"] for r in rows)}


def waits(record: RequestRecord) -> list[tuple[str, datetime, Event | None]]:
    """Each stay in a waiting state: (state, entered, the event that ended it or None while
    it still waits)."""
    found = []
    for i, event in enumerate(record.events):
        if event.to_state not in OPEN_STATES or event.from_state == event.to_state:
            continue
        left = next((e for e in record.events[i + 1:] if e.to_state != event.to_state), None)
        found.append((event.to_state, event.at, left))
    return found


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def answer_times(records: Sequence[RequestRecord], due_of: DueOf, now: datetime,
                 zone: ZoneInfo) -> dict[str, Any]:
    """How fast approvers answered each request waiting for them, against the deadline the
    policy sets for that wait (the tier's answer_within_hours, in support hours). A wait the
    requester ended (withdrew, chose another way) before the deadline asked nothing of an
    approver and is left out; after the deadline it counts as late."""
    items: list[dict[str, Any]] = []
    for r in records:
        for state, entered, left in waits(r):
            if state != AWAITING_APPROVAL:
                continue
            ended = left.at if left is not None else now
            due = due_of(state, entered, ended)
            met = due is None or ended <= due
            by_approver = left is not None and left.action in ANSWERS
            if left is not None and not by_approver and met:
                continue
            items.append({"request_id": r.id, "entered": utc_text(entered),
                          "answered": utc_text(left.at) if by_approver and left else None,
                          "due": utc_text(due), "due_text": local_text(due, zone),
                          "hours": hours_between(entered, ended), "met": met,
                          "waiting": left is None})
    done = [i for i in items if not i["waiting"]]
    return {"answered": len(done),
            "on_time": sum(1 for i in done if i["met"]),
            "late": sum(1 for i in done if not i["met"]),
            "waiting": sum(1 for i in items if i["waiting"]),
            "overdue": sum(1 for i in items if i["waiting"] and not i["met"]),
            "median_hours": _median([i["hours"] for i in done]), "items": items}


def grant_times(records: Sequence[RequestRecord], answers: Mapping[str, Any]
                ) -> dict[str, Any]:
    """Hours from asking to access, for every request that was granted; on time when no
    wait for an approver passed its deadline."""
    late = {i["request_id"] for i in answers["items"] if not i["met"]}
    hours = []
    on_time = 0
    for r in records:
        granted = next((e.at for e in r.events if e.to_state == GRANTED), None)
        if granted is None:
            continue
        hours.append(hours_between(r.created_at, granted))
        on_time += r.id not in late
    return {"granted": len(hours), "on_time": on_time, "median_hours": _median(hours),
            "max_hours": max(hours) if hours else None}


def _contact(contact: Any) -> str:
    return str(contact.get("name") if isinstance(contact, Mapping) else contact)


def security_items(ordered: Sequence[RequestRecord], customer: Mapping[str, Any],
                   zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    """The month's security items, in the order the policy gave them (service/security_order):
    most important to the customer first. Open while it waits or its grant is live."""
    envs = customer.get("environments") or {}
    items = []
    for r in ordered:
        live = r.state == GRANTED and (r.grant_ends_at is None or r.grant_ends_at > now)
        still_open = r.state in OPEN_STATES or live
        items.append({
            "request_id": r.id, "environment": r.environment,
            "environment_title": (envs.get(r.environment) or {}).get("title") or r.environment,
            "criticality": (envs.get(r.environment) or {}).get("criticality"),
            "access": r.request.access, "urgency": r.request.urgency, "state": r.state,
            "open": still_open, "asked_text": local_text(r.created_at, zone),
            "summary": r.decision.summary,
            "escalated_to": list(dict.fromkeys(_contact(e.contact)
                                               for e in r.decision.escalations)),
            "reasons": list(dict.fromkeys(e.reason for e in r.decision.escalations))})
    return {"open": sum(1 for i in items if i["open"]),
            "closed": sum(1 for i in items if not i["open"]), "items": items}


def feedback_figures(feedback: Sequence[Feedback]) -> dict[str, Any]:
    """What requesters said: how many answered, how many found the answer helped and got
    what they needed, and the score (the share that helped, in percent)."""
    helped = sum(1 for f in feedback if f.helped)
    got = sum(1 for f in feedback if f.got_what_needed)
    return {"answers": len(feedback), "helped": helped, "got_what_needed": got,
            "score_percent": round(100 * helped / len(feedback)) if feedback else None,
            "comments": [{"request_id": f.request_id, "stage": f.stage, "comment": f.comment,
                          "helped": f.helped} for f in feedback if f.comment]}


def rules_that_hurt(records: Sequence[RequestRecord], limit: int = 10) -> list[dict[str, Any]]:
    """The rules whose consequences stand behind the most needs_approval and deny answers
    (each answer counts a rule once): where the policy costs requesters the most."""
    counts: dict[str, dict[str, int]] = {}
    for r in records:
        if r.outcome not in ("needs_approval", "deny"):
            continue
        for rule in sorted({c.rule for c in r.decision.consequences}):
            counts.setdefault(rule, {"needs_approval": 0, "deny": 0})[r.outcome] += 1
    rows: list[dict[str, Any]] = [{"rule": rule, **c, "total": c["needs_approval"] + c["deny"]}
                                  for rule, c in counts.items()]
    rows.sort(key=lambda row: (-row["total"], row["rule"]))
    return rows[:limit]
