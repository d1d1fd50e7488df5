"""Decide: validate a request, ask the policy, wrap its answer, log one decision event."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog

from gatekeeper.domain import AccessRequest, Decision, EngineError, PolicyRef, Principal
from gatekeeper.domain.request import format_timestamp
from gatekeeper.engine.base import DECISION_PATH
from gatekeeper.service.catalog import check_known
from gatekeeper.service.policy_store import PolicyStore

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_input(request: AccessRequest, principal: Principal, now: datetime) -> dict[str, Any]:
    """The engine input: the request, who asks (from the credential) and the evaluation time."""
    return {
        "request": request.to_input(now),
        "identity": principal.to_input(),
        "now": format_timestamp(now),
    }


class DecisionService:
    """Evaluates access requests against the serving policy; records nothing."""

    def __init__(self, store: PolicyStore, clock: Clock = utc_now) -> None:
        self.store = store
        self.clock = clock

    def decide(
        self,
        body: Any,
        principal: Principal,
        now: datetime | None = None,
        request_id: str | None = None,
    ) -> tuple[AccessRequest, Decision]:
        """Validate ``body`` and evaluate it; raise ValidationError, EngineError or PolicyError."""
        request = AccessRequest.from_mapping(body)
        return request, self.decide_request(request, principal, now, request_id)

    def decide_request(
        self,
        request: AccessRequest,
        principal: Principal,
        now: datetime | None = None,
        request_id: str | None = None,
    ) -> Decision:
        loaded = self.store.current
        check_known(loaded.bundle, principal, request)
        now = now or self.clock()
        engine_input = build_input(request, principal, now)
        started = time.perf_counter()
        try:
            raw = loaded.engine.evaluate(engine_input, DECISION_PATH)
        except EngineError:
            log.error("decision_failed", input=engine_input, revision=loaded.bundle.revision)
            raise
        decision = Decision.from_policy(
            raw,
            decision_id=str(uuid.uuid4()),
            policy=PolicyRef(loaded.bundle.revision, loaded.engine.name),
        )
        logger = log.bind()  # resolve the configured logger once for the check and the event
        if logger.is_enabled_for(logging.INFO):  # the result is only built when it is logged
            logger.info(
                "decision_made",
                decision_id=decision.decision_id,
                request_id=request_id,
                outcome=decision.outcome,
                input=engine_input,
                result=decision.to_dict(),
                revision=loaded.bundle.revision,
                engine=loaded.engine.name,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
            )
        return decision
