"""More time on a live grant: the request the policy decides, and what its answer does.

An extension is decided like any request: the same customer, environment, access, need and
systems, for the hours asked, starting when the grant ends. The policy's outcome says what
happens (``lifecycle.EXTENSION_BY_OUTCOME``): the grant's end moves at once; or a linked
request carries the extension and waits for acceptance or an approver; or the linked request
records the refusal and the grant stays as it was. Nothing here calls the engine or stores;
the request record (record.py) builds the linked request.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from gatekeeper.domain import lifecycle as lc
from gatekeeper.domain.commands import Extend
from gatekeeper.domain.decision import Decision
from gatekeeper.domain.errors import ConflictError, FieldError, ValidationError
from gatekeeper.domain.identity import Principal
from gatekeeper.domain.lifecycle import Event, Grant
from gatekeeper.domain.request import AccessRequest, format_timestamp


def extension_request(request: AccessRequest, grant: Grant, ends_at: datetime | None,
                      hours: float, max_hours: float | None = None) -> AccessRequest:
    """The policy's input for ``hours`` more: the request, on the granted systems, for
    ``hours`` from the grant's end. A 422 naming ``hours`` above the access level's most."""
    if max_hours is not None and hours > max_hours:
        raise ValidationError([FieldError(
            "hours", f"must be at most {max_hours:g}: the most one grant of "
                     f"{request.access} may last")])
    if ends_at is None:
        raise ConflictError("this grant has no end to move", state=lc.GRANTED)
    return replace(request, start=ends_at, duration_hours=float(hours),
                   systems=grant.systems or request.systems)


@dataclass(frozen=True)
class Extension:
    """What the policy's answer on an extension does to a grant: its ``event``, and either
    the grant's new ``grant`` and ``ends_at`` or ``linked`` (the answer carried by a linked
    request, which the record builds)."""

    event: Event
    grant: Grant | None = None
    ends_at: datetime | None = None
    linked: bool = False


def extension_change(grant: Grant, ends_at: datetime | None, command: Extend,
                     principal: Principal, at: datetime, decided: Decision,
                     follow_up_id: str) -> Extension:
    """What the policy's ``decided`` answer on an extension of a live ``grant`` does."""
    effect = lc.EXTENSION_BY_OUTCOME[decided.outcome]
    details: dict[str, object] = {"hours": command.hours, "outcome": decided.outcome,
                                  "decision_id": decided.decision_id,
                                  "summary": decided.summary}
    if effect == lc.EXTENDED and ends_at is not None:
        moved = ends_at + timedelta(hours=command.hours)
        details.update(previous_ends_at=format_timestamp(ends_at),
                       ends_at=format_timestamp(moved))
        longer = replace(grant, duration_hours=float(grant.duration_hours) + command.hours)
        return Extension(_event(principal, at, command, details), longer, moved)
    details["follow_up_id"] = follow_up_id
    return Extension(_event(principal, at, command, details), linked=True)


def _event(principal: Principal, at: datetime, command: Extend,
           details: dict[str, object]) -> Event:
    return Event(principal.subject, at, lc.GRANTED, lc.GRANTED, "extend", command.reason,
                 details)
