"""The JSON shape of a recorded request, shared by the API and the CLI's ``--json``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gatekeeper.ledger import Event, RequestRecord
from gatekeeper.service.lifecycle import allowed_actions, approvers


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
        "access": record.request.get("access"),
        "purpose": record.request.get("purpose"),
        "requester": {
            "subject": record.requester_subject,
            "organisation": record.requester_organisation,
        },
        "outcome": record.outcome,
        "summary": record.decision.get("summary"),
        "policy_revision": record.policy_revision,
        "parent_id": record.parent_id,
        "alternative_id": record.alternative_id,
        "grant": {
            "duration_hours": record.grant.get("duration_hours"),
            "systems": list(record.grant.get("systems") or []),
            "starts_at": _ts(record.grant_starts_at),
            "ends_at": _ts(record.grant_ends_at),
        },
        "created_at": _ts(record.created_at),
        "updated_at": _ts(record.updated_at),
        "version": record.version,
    }
    if detail:
        out.update(
            request=dict(record.request),
            decision=dict(record.decision),
            approvals={"needed": record.approvals_needed, "given": approvers(record)},
            actions=allowed_actions(record.state),
            follow_up_ids=list(record.follow_up_ids),
            history=[event_to_dict(e) for e in record.events],
        )
    return out

