"""The JSON shape of a recorded request, shared by the API and the CLI's ``--json``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gatekeeper.domain import Event, RequestRecord


def _ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def event_to_dict(event: Event) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": _ts(event.at),
        "actor": event.actor,
        "action": event.action,
        "from": event.from_state,
        "to": event.to_state,
        "reason": event.reason,
        "details": dict(event.details),
    }


def request_to_dict(record: RequestRecord, detail: bool = True) -> dict[str, Any]:
    """The request as the API returns it; ``detail`` adds the decision and the history."""
    out: dict[str, Any] = {
        "id": record.id,
        "state": record.state,
        "customer": record.customer,
        "environment": record.environment,
        "access": record.request.access,
        "purpose": record.request.purpose,
        "requester": {
            "subject": record.requester_subject,
            "organisation": record.requester_organisation,
        },
        "outcome": record.outcome,
        "summary": record.decision.summary,
        "waiting_for": record.waiting_for,
        "policy_revision": record.policy_revision,
        "parent_id": record.parent_id,
        "alternative_id": record.alternative_id,
        "grant": {
            "duration_hours": record.grant.duration_hours,
            "systems": list(record.grant.systems),
            "starts_at": _ts(record.grant_starts_at),
            "ends_at": _ts(record.grant_ends_at),
        },
        "created_at": _ts(record.created_at),
        "updated_at": _ts(record.updated_at),
        "version": record.version,
    }
    if detail:
        out.update(
            request=record.request.to_dict(),
            decision=record.decision.to_dict(),
            approvals={"needed": record.approvals_needed, "given": record.approvers},
            actions=record.allowed_actions,
            follow_up_ids=list(record.follow_up_ids),
            history=[event_to_dict(e) for e in record.events],
        )
    return out



# What the API carries of the policy's deadline (``data.gatekeeper.deadlines.deadline``).
DEADLINE_FIELDS = ("state", "due", "due_text", "summary", "hours", "level", "levels")


def deadline_to_dict(deadline: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The waiting state's deadline as the policy computed it (the page shows ``summary``):
    ``due`` RFC 3339 UTC, ``due_text`` in the customer's time zone; None when there is none."""
    if deadline is None:
        return None
    return {k: deadline.get(k) for k in DEADLINE_FIELDS}
