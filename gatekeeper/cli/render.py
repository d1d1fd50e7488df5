"""Plain-text rendering of a decision for a terminal."""

from __future__ import annotations

from typing import Any

from gatekeeper.domain import Decision

_FIGURES = (
    ("downtime_hours", "downtime", "h"),
    ("sla_minutes_consumed", "SLA minutes used", ""),
    ("sla_budget_minutes", "of a monthly budget of", " min"),
    ("sla_breached", "breaches SLA", ""),
    ("credit_percent", "credit", "%"),
    ("lead_time_hours", "lead time", "h"),
    ("earliest_start", "earliest start", ""),
)


def _figures(details: Any) -> str:
    parts = []
    for key, label, unit in _FIGURES:
        if key in details and details[key] is not None:
            value = details[key]
            if isinstance(value, bool):
                value = "yes" if value else "no"
            parts.append(f"{label} {value}{unit}")
    return f" ({', '.join(parts)})" if parts else ""


def render_decision(decision: Decision) -> str:
    """Outcome first, then what it costs, what else could be done, and who is told."""
    lines = [f"{decision.outcome.upper()}: {decision.summary}"]
    if decision.consequences:
        lines.append("\nConsequences:")
        for c in decision.consequences:
            lines.append(f"  - [{c.severity}] {c.summary}{_figures(c.details)}")
    if decision.alternatives:
        lines.append("\nSafer alternatives (best for this customer first):")
        for a in sorted(decision.alternatives, key=lambda a: a.rank):
            lines.append(
                f"  {a.rank}. {a.title}: {a.summary} "
                f"(lead time {a.lead_time_hours}h, downtime {a.downtime_hours}h)"
            )
            lines.append(f"     why: {a.why}")
    if decision.conditions:
        lines.append("\nConditions:")
        lines.extend(f"  - {c.summary}" for c in decision.conditions)
    if decision.approval.required:
        roles = ", ".join(decision.approval.roles) or "an approver"
        lines.append(f"\nApproval: {decision.approval.count} x {roles}")
    if decision.escalations:
        lines.append("\nEscalated to:")
        for e in decision.escalations:
            contact = e.contact
            if isinstance(contact, dict):
                contact = contact.get("name") or contact.get("email") or contact
            lines.append(f"  - {contact}: {e.reason}")
    lines.append(f"\npolicy {decision.policy.revision[:19]} on {decision.policy.engine}")
    return "\n".join(lines)
