"""The deadline of a waiting request, as the policy computes it from the customer's support
hours and tier (``data.gatekeeper.deadlines.deadline``): shown on the request pages and used by
the dispatcher's scheduler to tell the next contact when it has passed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

from gatekeeper.domain import GatekeeperError, RequestRecord
from gatekeeper.domain.lifecycle import OPEN_STATES

log = structlog.get_logger(__name__)

DEADLINE_PATH = "data.gatekeeper.deadlines.deadline"


class Evaluator(Protocol):
    def evaluate(self, input: Mapping[str, Any], path: str) -> Any: ...


def zulu(at: datetime) -> str:
    """RFC 3339 UTC with a trailing Z and whole seconds (what the policy's time helpers read)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Deadlines:
    """Asks the policy when a waiting request is due, and how many deadlines have passed."""

    def __init__(self, engine: Callable[[], Evaluator]) -> None:
        self.engine = engine

    def at(self, customer: str, state: str, since: datetime, now: datetime
           ) -> Mapping[str, Any] | None:
        """``{due, due_text, summary, hours, level, levels}``, or None for a state without a
        deadline. Raises what the engine raises."""
        found = self.engine().evaluate(
            {"request": {"customer": customer, "state": state}, "since": zulu(since),
             "now": zulu(now)}, DEADLINE_PATH)
        return found if isinstance(found, Mapping) else None

    def of(self, record: RequestRecord, now: datetime | None = None) -> Mapping[str, Any] | None:
        """The deadline of an open request for a page; None when closed or when the policy
        cannot say (the page shows the request without it, and the failure is logged)."""
        if record.state not in OPEN_STATES:
            return None
        try:
            return self.at(record.customer, record.state, record.updated_at,
                           now or datetime.now(UTC))
        except GatekeeperError as exc:
            log.warning("deadline_failed", request_id=record.id, error=str(exc))
            return None
