"""The request lifecycle of DESIGN.md: states, allowed transitions, who may act, grant windows.

This is product lifecycle, not access policy: what is *decided* stays in ``policies/``; this
module only says which step may follow which, and reads the decision the policy gave.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from gatekeeper.domain import ConflictError, FieldError, ForbiddenError, Principal, ValidationError
from gatekeeper.domain.request import parse_timestamp
from gatekeeper.ledger import Event, RequestRecord

SYSTEM_ACTOR = "gatekeeper"

SUBMITTED = "submitted"
AWAITING_ACCEPTANCE = "awaiting_acceptance"
AWAITING_APPROVAL = "awaiting_approval"
GRANTED = "granted"
DENIED = "denied"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
FULFILLED_BY_ALTERNATIVE = "fulfilled_by_alternative"
EXPIRED = "expired"
REVOKED = "revoked"

STATES = (
    SUBMITTED,
    AWAITING_ACCEPTANCE,
    AWAITING_APPROVAL,
    GRANTED,
    DENIED,
    REJECTED,
    WITHDRAWN,
    FULFILLED_BY_ALTERNATIVE,
    EXPIRED,
    REVOKED,
)
OPEN_STATES = (AWAITING_ACCEPTANCE, AWAITING_APPROVAL)

STATE_BY_OUTCOME = {
    "allow": GRANTED,
    "allow_with_consequences": AWAITING_ACCEPTANCE,
    "needs_approval": AWAITING_APPROVAL,
    "deny": DENIED,
}

# (state, action) -> the states the action may lead to.
TRANSITIONS: dict[tuple[str, str], tuple[str, ...]] = {
    (AWAITING_ACCEPTANCE, "accept"): (GRANTED, AWAITING_APPROVAL),
    (AWAITING_ACCEPTANCE, "choose"): (FULFILLED_BY_ALTERNATIVE,),
    (AWAITING_ACCEPTANCE, "withdraw"): (WITHDRAWN,),
    (AWAITING_APPROVAL, "choose"): (FULFILLED_BY_ALTERNATIVE,),
    (AWAITING_APPROVAL, "approve"): (GRANTED, AWAITING_APPROVAL),
    (AWAITING_APPROVAL, "reject"): (REJECTED,),
    (AWAITING_APPROVAL, "withdraw"): (WITHDRAWN,),
    (GRANTED, "revoke"): (REVOKED,),
    (GRANTED, "expire"): (EXPIRED,),
}
ACTIONS = ("accept", "choose", "approve", "reject", "withdraw", "revoke")
MSP_ROLES = ("engineer", "approver", "admin")


def allowed_actions(state: str) -> list[str]:
    """The actions a caller may try on a request in ``state`` (expire is the system's)."""
    return [a for a in ACTIONS if (state, a) in TRANSITIONS]


def require_action(record: RequestRecord, action: str) -> tuple[str, ...]:
    """The possible next states; 409 with the current state when the action does not fit."""
    targets = TRANSITIONS.get((record.state, action))
    if targets is None:
        allowed = ", ".join(allowed_actions(record.state)) or "none"
        raise ConflictError(
            f"cannot {action} a request that is {record.state} (allowed now: {allowed})",
            state=record.state,
        )
    return targets


def require_requester(record: RequestRecord, principal: Principal, action: str) -> None:
    """Only the requester answers their request (an admin may act for them)."""
    if principal.subject != record.requester_subject and principal.role != "admin":
        raise ForbiddenError(f"only the requester ({record.requester_subject}) may {action}")


def require_approver(record: RequestRecord, principal: Principal, action: str) -> None:
    """Approvers hold a role the decision names; a requester never decides their own request."""
    if principal.subject == record.requester_subject:
        raise ForbiddenError(f"a requester never may {action} their own request")
    roles = list(record.decision.get("approval", {}).get("roles") or ["approver"])
    if principal.role not in roles and principal.role != "admin":
        raise ForbiddenError(f"to {action} this request needs the role {' or '.join(roles)}")


def approvers(record: RequestRecord) -> list[str]:
    """Who approved so far, in order."""
    return [e.actor for e in record.events if e.action == "approve"]


def grant_window(
    now: datetime, requested_start: Any, duration_hours: float
) -> tuple[datetime, datetime]:
    """The clock starts when access is granted, or at the requested start if that is later."""
    start = now
    if isinstance(requested_start, str) and requested_start:
        start = max(now, parse_timestamp(requested_start))
    return start, start + timedelta(hours=float(duration_hours))


def granted(record: RequestRecord, now: datetime, grant: Mapping[str, Any]) -> dict[str, Any]:
    """Change fields for entering ``granted`` with ``grant`` (duration and systems)."""
    starts, ends = grant_window(now, record.request.get("start"), grant["duration_hours"])
    return {"grant": dict(grant), "grant_starts_at": starts, "grant_ends_at": ends}


def fields(body: Any, allowed: dict[str, type | tuple[type, ...]]) -> dict[str, Any]:
    """Check a transition body: an object with only ``allowed`` fields of the right types."""
    if body is None:
        body = {}
    if not isinstance(body, Mapping):
        raise ValidationError([FieldError("", "the body must be a JSON object")])
    errors = [FieldError(str(k), "unknown field") for k in body if k not in allowed]
    for name, kind in allowed.items():
        value = body.get(name)
        wrong_bool = isinstance(value, bool) and kind is not bool
        if value is not None and (wrong_bool or not isinstance(value, kind)):
            errors.append(FieldError(name, f"has the wrong type ({type(value).__name__})"))
    reason = body.get("reason")
    if isinstance(reason, str) and len(reason) > 2000:
        errors.append(FieldError("reason", "must be at most 2000 characters"))
    if errors:
        raise ValidationError(errors)
    return {k: body.get(k) for k in allowed}


def string_list(value: Any, name: str) -> list[str]:
    """A list of non-empty strings, or a ValidationError naming the bad item."""
    if not isinstance(value, list):
        raise ValidationError([FieldError(name, "must be a list of ids")])
    bad = [FieldError(f"{name}.{i}", "must be a non-empty string")
           for i, v in enumerate(value) if not isinstance(v, str) or not v.strip()]
    if bad:
        raise ValidationError(bad)
    return [v.strip() for v in value]


def check_consequences(record: RequestRecord, accepted: list[str]) -> list[str]:
    """Every consequence of the decision must be named, and nothing else."""
    known = [str(c.get("id")) for c in record.decision.get("consequences", [])]
    errors = [
        FieldError(f"consequences.{i}",
                   f"{cid!r} is not a consequence of this decision (known: {', '.join(known)})")
        for i, cid in enumerate(accepted) if cid not in known
    ]
    missing = [cid for cid in known if cid not in accepted]
    if missing:
        errors.append(FieldError("consequences", f"must accept every consequence; missing: "
                                                 f"{', '.join(missing)}"))
    if errors:
        raise ValidationError(errors)
    return sorted(set(accepted))


def find_alternative(record: RequestRecord, alternative_id: str) -> Mapping[str, Any]:
    """The alternative the decision offered under this id, or a 422 naming it."""
    offered = list(record.decision.get("alternatives", []))
    for alternative in offered:
        if alternative.get("id") == alternative_id:
            return dict(alternative)
    known = ", ".join(str(a.get("id")) for a in offered) or "none"
    problem = f"{alternative_id!r} is not an alternative of this decision (offered: {known})"
    raise ValidationError([FieldError("alternative", problem)])


def narrow(record: RequestRecord, duration: Any, systems: Any) -> dict[str, Any]:
    """An approver may shorten the grant or name fewer systems, never widen it."""
    grant = dict(record.grant)
    errors: list[FieldError] = []
    if duration is not None:
        current = float(grant.get("duration_hours") or 0)
        if not 0 < float(duration) <= current:
            errors.append(FieldError("duration_hours",
                                     f"may only shorten the grant: more than 0, at most {current}"))
        else:
            grant["duration_hours"] = float(duration)
    if systems is not None:
        wanted = string_list(systems, "systems")
        current_systems = list(grant.get("systems") or [])
        wider = [s for s in wanted if current_systems and s not in current_systems]
        if not wanted:
            errors.append(FieldError("systems", "must name at least one system"))
        for name in wider:
            errors.append(FieldError("systems", f"{name!r} was not requested; "
                                                "an approver may only name fewer systems"))
        if not wider and wanted:
            grant["systems"] = sorted(set(wanted))
    if errors:
        raise ValidationError(errors)
    return grant


def follow_up_approval(parent: RequestRecord, approval: Any) -> tuple[int, list[str]]:
    """(approvals needed, roles) for a follow-up, from the alternative's ``approval``.

    Only the policy's answer counts; anything but an explicit ``"required": false`` needs at
    least one approver, of the roles named, else of the parent decision's roles.
    """
    parent_roles = list(parent.decision.get("approval", {}).get("roles") or ["approver"])
    if not isinstance(approval, Mapping):
        return 1, parent_roles
    if approval.get("required") is False:
        return 0, []
    count = approval.get("count")
    needed = 1
    if isinstance(count, (int, float)) and not isinstance(count, bool):
        needed = max(1, math.ceil(count))
    return needed, list(approval.get("roles") or parent_roles)


def follow_up(
    parent: RequestRecord, alternative: Mapping[str, Any], principal: Principal, now: datetime
) -> RequestRecord:
    """The linked request that carries a chosen alternative.

    It keeps the original need and records the alternative; it is not evaluated again (the
    policy offered the alternative in the parent's decision, under the same revision). Who must
    sign it off is the policy's answer, the alternative's ``approval``; without one (a policy
    that predates it) it fails safe: one approver of the parent decision's roles. The
    alternative's ``access`` (``none``: the MSP does the work) and ``lead_time_hours`` apply.
    """
    needed, roles = follow_up_approval(parent, alternative.get("approval"))
    body = dict(parent.request)
    if isinstance(alternative.get("access"), str):
        body["access"] = alternative["access"]
    lead = float(alternative.get("lead_time_hours") or 0)
    if lead > 0:
        earliest = now + timedelta(hours=lead)
        start = body.get("start")
        if not start or parse_timestamp(str(start)) < earliest:
            body["start"] = earliest.strftime("%Y-%m-%dT%H:%M:%SZ")
    outcome = "needs_approval" if needed else "allow"
    state = AWAITING_APPROVAL if needed else GRANTED
    decision = {
        "decision_id": str(uuid.uuid4()),
        "outcome": outcome,
        "summary": f"Alternative chosen instead of request {parent.id}: "
                   f"{alternative.get('title', alternative.get('id'))}",
        "consequences": [],
        "alternatives": [],
        "conditions": list(parent.decision.get("conditions", [])),
        "approval": {"required": bool(needed), "roles": roles, "count": needed},
        "escalations": [],
        "reasons": [{"rule": str(alternative.get("rule", "")), "code": "alternative_chosen",
                     "message": f"{principal.subject} chose {alternative.get('id')}"}],
        "policy": dict(parent.decision.get("policy", {})),
        "alternative": dict(alternative),
        "parent_decision_id": parent.decision.get("decision_id"),
    }
    duration = float(body.get("duration_hours") or 0)
    grant = {"duration_hours": duration, "systems": list(body.get("systems") or [])}
    record = RequestRecord(
        id=str(uuid.uuid4()),
        customer=parent.customer,
        environment=parent.environment,
        requester_subject=parent.requester_subject,
        requester_organisation=parent.requester_organisation,
        state=state,
        request=body,
        decision=decision,
        policy_revision=parent.policy_revision,
        outcome=outcome,
        created_at=now,
        updated_at=now,
        approvals_needed=needed,
        parent_id=parent.id,
        alternative_id=str(alternative.get("id")),
        grant=grant,
    )
    if state == GRANTED:
        window = grant_window(now, body.get("start"), duration)
        record = replace(record, grant_starts_at=window[0], grant_ends_at=window[1])
    details = {"parent_id": parent.id, "alternative_id": record.alternative_id}
    events = (
        Event(principal.subject, now, None, SUBMITTED, "submit", None, details),
        Event(SYSTEM_ACTOR, now, SUBMITTED, state, "decide", None,
              {"outcome": outcome, "decision_id": decision["decision_id"], **details}),
    )
    return replace(record, events=events)
