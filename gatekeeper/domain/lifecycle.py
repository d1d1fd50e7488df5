"""The states of a request, which action may follow which, and the values a transition makes.

This is the product's lifecycle (DESIGN.md), not access policy: what is *decided* stays in
``policies/``. The request record (``domain/record.py``) applies these rules to itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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

# What an open request may still wait for before it is granted, in either order: the
# requester's acceptance of every consequence, and every approval the decision asks for.
ACCEPTANCE = "acceptance"
APPROVAL = "approval"
# The action that gives each; the record offers it only while it is still missing.
GIVES = {"accept": ACCEPTANCE, "approve": APPROVAL, "reject": APPROVAL}

# (state, action) -> the states the action may lead to. awaiting_acceptance: the requester's
# acceptance is missing (an approval may be too); awaiting_approval: an approval is missing
# (the acceptance may be too). A grant needs both, whichever comes first.
TRANSITIONS: dict[tuple[str, str], tuple[str, ...]] = {
    (AWAITING_ACCEPTANCE, "accept"): (GRANTED, AWAITING_APPROVAL),
    (AWAITING_ACCEPTANCE, "choose"): (FULFILLED_BY_ALTERNATIVE,),
    (AWAITING_ACCEPTANCE, "approve"): (AWAITING_ACCEPTANCE,),
    (AWAITING_ACCEPTANCE, "reject"): (REJECTED,),
    (AWAITING_ACCEPTANCE, "withdraw"): (WITHDRAWN,),
    (AWAITING_APPROVAL, "accept"): (AWAITING_APPROVAL,),
    (AWAITING_APPROVAL, "choose"): (FULFILLED_BY_ALTERNATIVE,),
    (AWAITING_APPROVAL, "approve"): (GRANTED, AWAITING_APPROVAL, AWAITING_ACCEPTANCE),
    (AWAITING_APPROVAL, "reject"): (REJECTED,),
    (AWAITING_APPROVAL, "withdraw"): (WITHDRAWN,),
    (GRANTED, "revoke"): (REVOKED,),
    (GRANTED, "expire"): (EXPIRED,),
    # more time on a live grant: the grant stays; the policy's answer on the extension says
    # whether its end moves now or a linked request waits (EXTENSION_BY_OUTCOME)
    (GRANTED, "extend"): (GRANTED,),
}
ACTIONS = ("accept", "choose", "approve", "reject", "withdraw", "revoke", "extend")

# What the policy's outcome on an extension does: the grant's end moves at once; or a linked
# request carries the extension and waits (for acceptance or an approver) like any request;
# or the linked request records the refusal and the grant stays as it was.
EXTENDED = "extended"
LINKED = "linked"
EXTENSION_BY_OUTCOME = {
    "allow": EXTENDED,
    "allow_with_consequences": LINKED,
    "needs_approval": LINKED,
    "deny": LINKED,
}


def allowed_actions(state: str) -> list[str]:
    """The actions a caller may try on a request in ``state`` (expire is the system's); the
    record drops accept or approve once what it gives is no longer missing."""
    return [a for a in ACTIONS if (state, a) in TRANSITIONS]


@dataclass(frozen=True)
class Event:
    """One audited step of a request: who moved it from which state to which, when and why."""

    actor: str
    at: datetime
    from_state: str | None
    to_state: str
    action: str
    reason: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    seq: int = 0


@dataclass(frozen=True)
class Grant:
    """What access is (or would be) granted for: hours and systems (none: the environment)."""

    duration_hours: float = 0.0
    systems: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> Grant:
        raw = raw or {}
        return cls(float(raw.get("duration_hours") or 0), tuple(raw.get("systems") or ()))

    def to_dict(self) -> dict[str, Any]:
        return {"duration_hours": self.duration_hours, "systems": list(self.systems)}
