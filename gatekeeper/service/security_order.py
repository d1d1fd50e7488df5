"""Which of a month's requests are security items, and the order a report lists them in, as
the policy says (``data.gatekeeper.reports.security.order``): what matters most to a customer
is a policy decision, not a Python sort."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC

from gatekeeper.domain import RequestRecord
from gatekeeper.domain.errors import EngineError
from gatekeeper.service.deadlines import Evaluator

SECURITY_ORDER_PATH = "data.gatekeeper.reports.security.order"


class SecurityOrder:
    """Asks the serving policy for a customer's security items, most important first."""

    def __init__(self, engine: Callable[[], Evaluator]) -> None:
        self.engine = engine

    def of(self, customer: str, records: Sequence[RequestRecord]) -> list[RequestRecord]:
        """The security items among ``records``, in the policy's order. ``EngineError`` when
        the policy cannot say, or answers with anything but ids of these records."""
        requests = [{
            "id": r.id, "environment": r.environment, "access": r.request.access,
            "urgency": r.request.urgency, "escalated": bool(r.decision.escalations),
            # microseconds, fixed width: the text sorts as the times do
            "created_at": r.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        } for r in records]
        found = self.engine().evaluate({"customer": customer, "requests": requests},
                                       SECURITY_ORDER_PATH)
        by_id = {r.id: r for r in records}
        if not isinstance(found, list) or not all(
                isinstance(i, str) and i in by_id for i in found) or len(set(found)) != len(found):
            raise EngineError(f"{SECURITY_ORDER_PATH} did not give a list of this month's "
                              f"request ids: {str(found)[:200]}")
        return [by_id[i] for i in found]
