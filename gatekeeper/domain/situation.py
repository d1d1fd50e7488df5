"""What the ledger knows about a customer's environment that changes an answer: ``input.context``.

The ledger gathers it (SLA downtime already used or committed in the month of the request, and
grants and open requests whose window overlaps the request's); the policy decides with it.
Python never decides here: these are plain values and their JSON shape, which every engine
receives the same (always present, empty lists when nothing is known).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from gatekeeper.domain.request import format_timestamp

CONTEXT_LISTS = ("sla_downtime", "overlapping")


@dataclass(frozen=True)
class DowntimeUse:
    """A recorded request whose downtime counts against this month's SLA budget: granted
    (or expired, revoked after a grant), or awaiting approval with its consequences accepted.
    ``downtime_hours`` is what its recorded decision said, never decided again."""

    request_id: str
    state: str
    starts_at: datetime
    downtime_hours: float

    def to_input(self) -> dict[str, Any]:
        return {"request_id": self.request_id, "state": self.state,
                "starts_at": format_timestamp(self.starts_at),
                "downtime_hours": self.downtime_hours}


@dataclass(frozen=True)
class ActiveRequest:
    """A grant or an open request of the same environment whose window overlaps in time;
    ``systems`` empty means the whole environment. The policy decides whether systems clash."""

    request_id: str
    state: str
    access: str
    systems: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime

    def to_input(self) -> dict[str, Any]:
        return {"request_id": self.request_id, "state": self.state, "access": self.access,
                "systems": list(self.systems), "starts_at": format_timestamp(self.starts_at),
                "ends_at": format_timestamp(self.ends_at)}


@dataclass(frozen=True)
class SituationQuery:
    """What to gather for one request: its customer, environment, time window and month.
    ``exclude`` leaves one recorded request out: the grant an extension is asked for, which
    is neither an overlap of its own extension nor other downtime already used."""

    customer: str
    environment: str
    starts_at: datetime
    ends_at: datetime
    month_start: datetime
    month_end: datetime
    exclude: str | None = None

    @classmethod
    def around(cls, customer: str, environment: str, start: datetime,
               duration_hours: float, exclude: str | None = None,
               zone: tzinfo = UTC) -> SituationQuery:
        """The window ``start`` + ``duration_hours`` and the calendar month of ``start`` in
        the customer's time ``zone``: the month whose SLA budget the request's downtime falls
        in, as the customer's monthly report counts it."""
        start = start.astimezone(UTC)
        local = start.astimezone(zone)
        first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        after = (first + timedelta(days=32)).replace(day=1)  # wall-clock: the next 1st, 00:00
        return cls(customer, environment, start, start + timedelta(hours=duration_hours),
                   first.astimezone(UTC), after.astimezone(UTC), exclude)


@dataclass(frozen=True)
class Situation:
    """Everything the ledger hands the policy for one request, sorted by request id."""

    sla_downtime: tuple[DowntimeUse, ...] = ()
    overlapping: tuple[ActiveRequest, ...] = ()

    def to_input(self) -> dict[str, Any]:
        return {
            "sla_downtime": [d.to_input() for d in sorted(self.sla_downtime,
                                                          key=lambda d: d.request_id)],
            "overlapping": [o.to_input() for o in sorted(self.overlapping,
                                                         key=lambda o: o.request_id)],
        }


def context_input(raw: Any = None) -> dict[str, Any]:
    """``input.context`` from a given object (an example file's ``context``, or a
    ``Situation.to_input()``): every list present; ValueError when the shape is wrong."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ValueError("context must be an object")
    result = dict(raw)
    for name in CONTEXT_LISTS:
        value = result.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise ValueError(f"context.{name} must be a list of objects")
        result[name] = value
    return result
