"""Presentation helpers for the templates: plain-language states, figures, local times.

Nothing here decides anything: the words of consequences and alternatives come from the
policy (``summary``, ``why``); this module only labels the figures the policy returned and
formats numbers and times for people.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask

from gatekeeper.domain.request import parse_timestamp
from gatekeeper.service.zones import zone_named

# state -> (what a customer reads, what an engineer reads, badge style)
STATES: dict[str, tuple[str, str, str]] = {
    "submitted": ("Submitted", "Submitted", "open"),
    "awaiting_acceptance": ("Your answer is needed", "Awaiting the customer's answer", "open"),
    "awaiting_approval": ("Waiting for an MSP approver", "Awaiting approval", "open"),
    "granted": ("Access granted", "Granted", "good"),
    "denied": ("Not possible this way", "Denied", "bad"),
    "rejected": ("Rejected by the MSP", "Rejected", "bad"),
    "withdrawn": ("Withdrawn", "Withdrawn", "done"),
    "fulfilled_by_alternative": ("Replaced by an alternative", "Fulfilled by an alternative",
                                 "done"),
    "expired": ("Access has ended", "Expired", "done"),
    "revoked": ("Access was revoked", "Revoked", "done"),
}

OUTCOMES = {
    "allow": "Allowed",
    "allow_with_consequences": "Possible, with consequences to accept",
    "needs_approval": "Possible, needs an MSP approver",
    "deny": "Not possible this way",
}

ACTIONS = {
    "submit": "Submitted",
    "decide": "Policy answered",
    "accept": "Consequences accepted",
    "choose": "Alternative chosen",
    "approve": "Approved",
    "reject": "Rejected",
    "withdraw": "Withdrawn",
    "revoke": "Revoked",
    "extend": "More time asked for",
    "expire": "Expired",
}

URGENCIES = {
    "normal": ("Normal", "plan it within the usual lead times"),
    "high": ("High", "business is affected; as soon as reasonably possible"),
    "emergency": ("Emergency", "an incident is under way right now"),
}


@dataclass(frozen=True)
class Figure:
    """One labelled number of a consequence or alternative."""

    label: str
    value: str
    tone: str = ""  # "bad" | "good" | ""


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def hours(value: Any) -> str:
    """``8`` -> "8 hours", ``1`` -> "1 hour", ``0.5`` -> "30 minutes"."""
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return str(value)
    if 0 < amount < 1:
        return f"{round(amount * 60)} minutes"
    return f"{_number(amount)} hour{'' if amount == 1 else 's'}"


def lead_time(value: Any) -> str:
    try:
        return "at once" if float(value) == 0 else hours(value)
    except (TypeError, ValueError):
        return str(value)


def minutes(value: Any) -> str:
    return f"{_number(float(value))} min"


def percent(value: Any) -> str:
    return f"{_number(float(value))} %"


def as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            return parse_timestamp(value)
        except ValueError:
            return None
    return None


def local_time(value: Any, timezone: str | None = None, with_zone: bool = True) -> str:
    """A timestamp in the customer's timezone (UTC when none is known), labelled."""
    moment = as_datetime(value)
    if moment is None:
        return "—" if value in (None, "") else str(value)
    zone = zone_named(timezone)
    local = moment.astimezone(zone)
    text = local.strftime("%a %d %b %Y, %H:%M")
    if not with_zone:
        return text
    label = "UTC" if zone.key == "UTC" else f"{local.strftime('%Z')}, {zone.key}"
    return f"{text} ({label})"


def short_time(value: Any, timezone: str | None = None) -> str:
    """A compact local timestamp for tables: "23 Nov 2026 10:00 CET"."""
    moment = as_datetime(value)
    if moment is None:
        return "—"
    return moment.astimezone(zone_named(timezone)).strftime("%d %b %Y %H:%M %Z")


def narrowed(changes: Mapping[str, Any]) -> str:
    """What an approver narrowed, for the history: "duration 4 hours; systems app-01"."""
    parts = []
    for key, value in changes.items():
        if key == "duration_hours":
            parts.append(f"duration {hours(value)}")
        elif isinstance(value, list | tuple):
            parts.append(f"{humanize(key)} {', '.join(str(v) for v in value)}")
        else:
            parts.append(f"{humanize(key)} {value}")
    return "; ".join(parts)


def to_input_value(value: Any, timezone: str | None) -> str:
    """A timestamp as the value of an ``<input type="datetime-local">`` in local time."""
    moment = as_datetime(value)
    if moment is None:
        return ""
    return moment.astimezone(zone_named(timezone)).strftime("%Y-%m-%dT%H:%M")


def from_input_value(text: str, timezone: str | None) -> datetime:
    """Read a ``datetime-local`` value as local time; ValueError when malformed."""
    naive = datetime.fromisoformat(text.strip())
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    return naive.replace(tzinfo=zone_named(timezone)).astimezone(UTC)


def figures(element: Mapping[str, Any], timezone: str | None = None) -> list[Figure]:
    """The figures the policy attached to a consequence or condition, labelled for people."""
    out: list[Figure] = []
    get = element.get

    def add(key: str, label: str, fmt: Any, tone: str = "") -> None:
        if isinstance(get(key), int | float) and not isinstance(get(key), bool):
            out.append(Figure(label, fmt(get(key)), tone))

    add("downtime_hours", "Downtime", hours, "bad" if (get("downtime_hours") or 0) > 0 else "good")
    add("tolerated_downtime_hours", "Downtime you tolerate", hours)
    add("sla_minutes_used_this_month", "SLA downtime already used this month", minutes)
    add("sla_minutes_consumed", "SLA downtime this request uses", minutes, "bad")
    add("sla_budget_minutes", "Monthly SLA downtime budget", minutes)
    remaining = get("sla_budget_remaining_minutes")
    if isinstance(remaining, int | float) and not isinstance(remaining, bool):
        text = f"exceeded by {minutes(-remaining)}" if remaining < 0 else minutes(remaining)
        out.append(Figure("SLA budget left", text, "bad" if remaining < 0 else ""))
    if isinstance(get("sla_breached"), bool):
        out.append(Figure("SLA", "breached" if get("sla_breached") else "kept",
                          "bad" if get("sla_breached") else "good"))
    add("resulting_uptime_percent", "Uptime this month", percent, "bad")
    add("uptime_target_percent", "Uptime promised", percent)
    if get("earns_credit") is False:  # the contract: downtime the customer causes earns none
        out.append(Figure("Service credit", "none: your request causes this downtime"))
    else:
        add("credit_percent", "Service credit", percent)
        amount = get("credit_amount")
        if isinstance(amount, int | float) and not isinstance(amount, bool):
            out.append(Figure("Credit amount", f"{get('currency') or ''} {amount:,.2f}".strip()))
    add("lead_time_hours", "Lead time", lead_time)
    add("duration_hours", "Duration", hours)
    for key, label in (("earliest_start", "Earliest start"), ("starts_at", "Starts"),
                       ("ends_at", "Ends"), ("review_due", "Review due")):
        if get(key):
            out.append(Figure(label, local_time(get(key), timezone)))
    return out


def sentence(text: Any) -> str:
    """The first letter upper case, the rest as written ("SLA" stays "SLA"): a title the
    policy writes for use inside a sentence, shown as a heading."""
    value = str(text or "")
    return value[:1].upper() + value[1:]


def state_label(state: str, audience: str = "customer") -> str:
    entry = STATES.get(state)
    if entry is None:
        return state.replace("_", " ")
    return entry[0] if audience == "customer" else entry[1]


def state_tone(state: str) -> str:
    return STATES.get(state, ("", "", "done"))[2]


def humanize(value: Any) -> str:
    return str(value or "").replace("_", " ")


def init_app(app: Flask) -> None:
    """Register the filters and globals the templates use."""
    app.add_template_filter(hours, "hours")
    app.add_template_filter(lead_time, "lead_time")
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(short_time, "short_time")
    app.add_template_filter(narrowed, "narrowed")
    app.add_template_filter(state_label, "state_label")
    app.add_template_filter(state_tone, "state_tone")
    app.add_template_filter(humanize, "humanize")
    app.add_template_filter(sentence, "sentence")
    app.add_template_global(figures, "figures")
    app.jinja_env.globals.update(
        outcome_labels=OUTCOMES, action_labels=ACTIONS, urgency_labels=URGENCIES)
