"""Decide: validate a request, ask the policy, wrap its answer, log one decision event."""

from __future__ import annotations

import logging
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Protocol

import structlog

from gatekeeper.domain import (
    AccessRequest,
    Decision,
    EngineError,
    FieldError,
    GatekeeperError,
    PolicyError,
    PolicyRef,
    Principal,
    ValidationError,
)
from gatekeeper.domain.request import format_timestamp
from gatekeeper.domain.situation import Situation, SituationQuery, context_input
from gatekeeper.engine.base import DECISION_PATH, UNANNOUNCED_PATH, Engine
from gatekeeper.service import metrics
from gatekeeper.service.catalog import check_known
from gatekeeper.service.decision_log import DecisionLog, masked, opa_event
from gatekeeper.service.policy_store import PolicyStore
from gatekeeper.service.zones import zone_of

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]
# What the ledger knows that changes the answer (``input.context``), for a request at ``now``.
ContextProvider = Callable[[AccessRequest, datetime], Mapping[str, Any]]

# A start may lie a little in the past (clocks, typing) and at most a year ahead; anything
# else is a mistake the requester should hear about, not a decision.
START_GRACE = timedelta(minutes=15)
START_HORIZON = timedelta(days=366)


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_input(request: AccessRequest, principal: Principal, now: datetime,
                context: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The engine input: the request, who asks (from the credential), the evaluation time and
    ``context`` (always present: empty lists when nothing is known)."""
    return {
        "request": request.to_input(now),
        "identity": principal.to_input(),
        "now": format_timestamp(now),
        "context": context_input(context),
    }


def check_start(request: AccessRequest, now: datetime) -> None:
    """ValidationError naming ``start`` unless it lies from ``START_GRACE`` before ``now`` to
    ``START_HORIZON`` after it."""
    if request.start is None:
        return
    if request.start < now - START_GRACE:
        raise ValidationError([FieldError(
            "start", f"must not be more than 15 minutes in the past (it is now "
                     f"{format_timestamp(now)}); leave it out to start at once")])
    if request.start > now + START_HORIZON:
        latest = format_timestamp(now + START_HORIZON)
        raise ValidationError([FieldError(
            "start", f"must be at most a year ahead (until {latest})")])


class SituationSource(Protocol):
    """The part of the ledger the context needs (``Ledger.situation``)."""

    def situation(self, query: SituationQuery) -> Situation: ...


class LedgerContext:
    """A ``ContextProvider`` reading the ledger: SLA downtime of the month the request
    starts in (the customer's month: ``zone_of`` gives its time zone), and grants and open
    requests overlapping its window."""

    def __init__(self, ledger: SituationSource,
                 zone_of: Callable[[str], tzinfo] = lambda _customer: UTC) -> None:
        self.ledger = ledger
        self.zone_of = zone_of

    def __call__(self, request: AccessRequest, now: datetime) -> Mapping[str, Any]:
        query = SituationQuery.around(request.customer, request.environment,
                                      request.start or now, request.duration_hours,
                                      zone=self.zone_of(request.customer))
        return self.ledger.situation(query).to_input()


class DecisionService:
    """Evaluates access requests against the serving policy; records nothing.

    ``context`` gathers ``input.context`` (the app's reads the ledger); without one the
    policy decides on an empty context, as ``gatekeeper eval`` does."""

    def __init__(self, store: PolicyStore, clock: Clock = utc_now,
                 context: ContextProvider | None = None,
                 decision_log: DecisionLog | None = None) -> None:
        self.store = store
        self.clock = clock
        self.context = context
        self.decision_log = decision_log
        # The decision-log events' labels.id, which a mask rule may read.
        self.instance = decision_log.instance if decision_log is not None else socket.gethostname()

    def decide(
        self,
        body: Any,
        principal: Principal,
        now: datetime | None = None,
        request_id: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> tuple[AccessRequest, Decision]:
        """Validate ``body`` and evaluate it; raise ValidationError, EngineError or PolicyError.
        A given ``context`` is used as it is instead of gathering one."""
        request = AccessRequest.from_mapping(body)
        return request, self.decide_request(request, principal, now, request_id, context)

    def customer_zone(self, customer: str) -> tzinfo:
        """The customer's time zone (bundle data), UTC when unknown: its SLA month is local."""
        return zone_of((self.store.current.bundle.data.get("customers") or {}).get(customer))

    def max_duration_hours(self, access: str) -> float | None:
        """The most one grant of ``access`` may last (catalogue data), None when unknown."""
        levels = (self.store.current.bundle.data.get("catalog") or {}).get("access_levels")
        found = (levels or {}).get(access) or {}
        value = found.get("max_duration_hours") if isinstance(found, Mapping) else None
        return float(value) if isinstance(value, int | float) else None

    def decide_request(
        self,
        request: AccessRequest,
        principal: Principal,
        now: datetime | None = None,
        request_id: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> Decision:
        loaded = self.store.current
        check_known(loaded.bundle, principal, request)
        now = now or self.clock()
        check_start(request, now)
        if context is None and self.context is not None:
            context = self.context(request, now)
        engine_input = build_input(request, principal, now, context)
        engine = loaded.engine
        started = time.perf_counter_ns()
        try:
            raw = engine.evaluate(engine_input, DECISION_PATH)
        except EngineError:
            metrics.ENGINE_ERRORS.labels(engine.name, "engine_error").inc()
            shown = masked(engine, {"input": engine_input}, "")
            log.error("decision_failed", input=shown.get("input"),
                      erased=shown.get("erased", []), masked=shown.get("masked", []),
                      revision=loaded.bundle.revision)
            raise
        if raw is None:
            metrics.ENGINE_ERRORS.labels(engine.name, "undefined").inc()
            raise PolicyError(_why_undefined(engine, engine_input))
        eval_ns = time.perf_counter_ns() - started
        decision = Decision.from_policy(
            raw,
            decision_id=str(uuid.uuid4()),
            policy=PolicyRef(loaded.bundle.revision, engine.name),
        )
        metrics.DECISIONS.labels(decision.outcome, engine.name).inc()
        metrics.DECISION_SECONDS.labels(engine.name).observe(eval_ns / 1e9)
        if self.decision_log is not None:
            self.decision_log.record(engine, loaded.bundle.revision, engine_input, decision,
                                     principal, eval_ns)
        logger = log.bind()  # resolve the configured logger once for the check and the event
        if logger.is_enabled_for(logging.INFO):  # the result is only built when it is logged
            # Masked by the bundle's own rules, as a shipped decision log is: the requester's
            # own words stay in the ledger, not in the service log.
            event = opa_event(engine, loaded.bundle.revision, engine_input, decision, principal,
                              eval_ns, time.time(), self.instance, copy_input=False)
            shown = masked(engine, event, decision.decision_id)
            logger.info(
                "decision_made",
                decision_id=decision.decision_id,
                request_id=request_id,
                outcome=decision.outcome,
                input=shown.get("input"),
                result=shown["result"],
                erased=shown.get("erased", []),
                masked=shown.get("masked", []),
                revision=loaded.bundle.revision,
                engine=engine.name,
                duration_ms=round(eval_ns / 1e6, 3),
                path=DECISION_PATH,
                requested_by=principal.subject,
            )
        return decision


def _why_undefined(engine: Engine, engine_input: Mapping[str, Any]) -> str:
    """Why the policy gave no decision: the packages whose elements differ from what they
    announced (docs/policy-contract.md, "Announced elements"), when the bundle says so."""
    try:
        packages = engine.evaluate(engine_input, UNANNOUNCED_PATH)
    except GatekeeperError:
        packages = None
    parts = []
    for item in packages if isinstance(packages, list) else []:
        said = []
        if item.get("missing"):
            said.append("announced but did not produce " + ", ".join(item["missing"]))
        if item.get("unexpected"):
            said.append("produced without announcing " + ", ".join(item["unexpected"]))
        if not item.get("announces", True):
            said.append("has no `announced` rule")
        parts.append(f"rules package {item.get('package')} " + " and ".join(said))
    detail = "; ".join(sorted(parts)) or "the entry point is undefined for this input"
    return f"the policy gave no decision: {detail}"
