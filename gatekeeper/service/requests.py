"""Use cases of the ledger: submit, read, list, and every transition of a request's lifecycle."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

import structlog

from gatekeeper.domain import (
    AccessRequest,
    ConflictError,
    Decision,
    FieldError,
    NotFoundError,
    Principal,
    ValidationError,
)
from gatekeeper.domain.request import parse_timestamp
from gatekeeper.ledger import (
    Change,
    Event,
    IdempotencyConflict,
    Ledger,
    NewRequest,
    Page,
    RequestQuery,
    RequestRecord,
    StoredResponse,
)
from gatekeeper.service import lifecycle as lc
from gatekeeper.service.decisions import Clock, utc_now
from gatekeeper.service.representation import request_to_dict

log = structlog.get_logger(__name__)

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_QUERY = ("customer", "state", "requester", "created_from", "created_until", "limit", "cursor")


class Decider(Protocol):
    """What submitting needs from the decision service."""

    def decide(
        self, body: Any, principal: Principal, now: datetime | None = None,
        request_id: str | None = None,
    ) -> tuple[AccessRequest, Decision]: ...


@dataclass(frozen=True)
class Submission:
    """The answer to a submission: a new request, or the replay of an earlier identical one."""

    status: int
    body: Mapping[str, Any]
    request_id: str
    replayed: bool = False


def body_hash(body: Any) -> str:
    """A stable fingerprint of a JSON body (key order and spacing do not matter)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _visible(record: RequestRecord, principal: Principal) -> bool:
    return principal.role != "customer" or record.customer == principal.organisation


class RequestService:
    """Records requests with their decisions and moves them through the lifecycle."""

    def __init__(self, decisions: Decider, ledger: Ledger, clock: Clock = utc_now) -> None:
        self.decisions = decisions
        self.ledger = ledger
        self.clock = clock

    # -- submitting ----------------------------------------------------------------------

    def submit(
        self, body: Any, principal: Principal, idempotency_key: str | None = None,
        now: datetime | None = None,
    ) -> Submission:
        """Evaluate and record a request in one transaction; replays a known Idempotency-Key."""
        fingerprint = body_hash(body)
        if idempotency_key is not None:
            if not _KEY.match(idempotency_key):
                raise ValidationError([FieldError(
                    "Idempotency-Key", "must be 1 to 255 visible ASCII characters")])
            stored = self.ledger.find_response(principal.subject, idempotency_key)
            if stored is not None:
                return self._replay(stored, fingerprint)
        request_id = str(uuid.uuid4())
        now = now or self.clock()
        request, decision = self.decisions.decide(body, principal, now=now, request_id=request_id)
        record = self._new_record(request_id, request, decision, principal, now)
        response = request_to_dict(record)
        stored = None
        if idempotency_key is not None:
            stored = StoredResponse(principal.subject, idempotency_key, fingerprint,
                                    request_id, 201, response)
        try:
            self.ledger.create(NewRequest(record, stored))
        except IdempotencyConflict as exc:  # a concurrent retry recorded it first
            return self._replay(exc.stored, fingerprint)
        log.info("request_submitted", request_id=request_id, decision_id=decision.decision_id,
                 outcome=decision.outcome, state=record.state, requester=principal.subject,
                 customer=record.customer, idempotency_key=idempotency_key)
        return Submission(201, response, request_id)

    def _replay(self, stored: StoredResponse, fingerprint: str) -> Submission:
        if stored.body_hash != fingerprint:
            raise ValidationError(
                [FieldError("Idempotency-Key", "was already used with a different body")],
                detail=f"Idempotency-Key {stored.key!r} was already used for request "
                       f"{stored.request_id} with a different body",
            )
        log.info("request_replayed", request_id=stored.request_id, idempotency_key=stored.key)
        return Submission(stored.status, stored.body, stored.request_id, replayed=True)

    def _new_record(
        self, request_id: str, request: AccessRequest, decision: Decision,
        principal: Principal, now: datetime,
    ) -> RequestRecord:
        state = lc.STATE_BY_OUTCOME[decision.outcome]
        needed = 0
        if decision.outcome == "needs_approval" or decision.approval.required:
            needed = max(1, decision.approval.count)
        body = request.to_dict()
        grant = {"duration_hours": request.duration_hours, "systems": list(request.systems)}
        starts = ends = None
        if state == lc.GRANTED:
            starts, ends = lc.grant_window(now, body.get("start"), request.duration_hours)
        events = (
            Event(principal.subject, now, None, lc.SUBMITTED, "submit", None,
                  {"ticket": request.ticket} if request.ticket else {}, seq=1),
            Event(lc.SYSTEM_ACTOR, now, lc.SUBMITTED, state, "decide", None,
                  {"outcome": decision.outcome, "decision_id": decision.decision_id,
                   "policy_revision": decision.policy.revision,
                   "engine": decision.policy.engine}, seq=2),
        )
        return RequestRecord(
            id=request_id, customer=request.customer, environment=request.environment,
            requester_subject=principal.subject, requester_organisation=principal.organisation,
            state=state, request=body, decision=decision.to_dict(),
            policy_revision=decision.policy.revision, outcome=decision.outcome,
            created_at=now, updated_at=now, approvals_needed=needed, grant=grant,
            grant_starts_at=starts, grant_ends_at=ends, events=events,
        )

    # -- reading -------------------------------------------------------------------------

    def get(self, request_id: str, principal: Principal, now: datetime | None = None
            ) -> RequestRecord:
        """One request with its history; a grant past its end is expired first."""
        record = self.ledger.get(request_id)
        if not _visible(record, principal):
            raise NotFoundError(f"no access request {request_id!r}")
        now = now or self.clock()
        if record.state == lc.GRANTED and record.grant_ends_at and record.grant_ends_at <= now:
            self._expire(request_id, now)
            record = self.ledger.get(request_id)
        return record

    def search(self, principal: Principal, params: Mapping[str, Any],
               now: datetime | None = None) -> Page:
        """Requests matching filters, newest first, a page at a time."""
        self.expire_due(now)
        query = parse_query(params)
        if principal.role == "customer":
            if query.customer not in (None, principal.organisation):
                return Page(items=(), next_cursor=None)
            query = replace(query, customer=principal.organisation)
        return self.ledger.search(query)

    # -- transitions ---------------------------------------------------------------------

    def _transition(
        self, request_id: str, principal: Principal, action: str,
        decide: Callable[[RequestRecord], Change],
    ) -> RequestRecord:
        before: list[str] = []

        def step(record: RequestRecord) -> Change:
            if not _visible(record, principal):
                raise NotFoundError(f"no access request {request_id!r}")
            before.append(record.state)
            return decide(record)

        record = self.ledger.transition(request_id, step)
        last = record.events[-1]
        log.info("request_transitioned", request_id=request_id, action=action,
                 from_state=before[0] if before else None, to_state=record.state,
                 actor=principal.subject, reason=last.reason, details=dict(last.details))
        return record

    def accept(self, request_id: str, principal: Principal, body: Any,
               now: datetime | None = None) -> RequestRecord:
        """The requester accepts the consequences, naming each one."""
        args = lc.fields(body, {"consequences": list, "reason": str})
        if args["consequences"] is None:
            raise ValidationError([FieldError("consequences", "is required")])
        accepted = lc.string_list(args["consequences"], "consequences")
        at = now or self.clock()

        def decide(record: RequestRecord) -> Change:
            lc.require_action(record, "accept")
            lc.require_requester(record, principal, "accept")
            ids = lc.check_consequences(record, accepted)
            to = lc.AWAITING_APPROVAL if record.approvals_needed > 0 else lc.GRANTED
            extra = lc.granted(record, at, record.grant) if to == lc.GRANTED else {}
            event = Event(principal.subject, at, record.state, to, "accept", args["reason"],
                          {"consequences": ids})
            return Change(to, event, **extra)

        return self._transition(request_id, principal, "accept", decide)

    def choose(self, request_id: str, principal: Principal, body: Any,
               now: datetime | None = None) -> tuple[RequestRecord, RequestRecord]:
        """The requester takes an alternative; returns the request and its linked follow-up."""
        args = lc.fields(body, {"alternative": str, "reason": str})
        if not args["alternative"]:
            raise ValidationError([FieldError("alternative", "is required")])
        at = now or self.clock()
        created: list[str] = []

        def decide(record: RequestRecord) -> Change:
            lc.require_action(record, "choose")
            lc.require_requester(record, principal, "choose an alternative")
            alternative = lc.find_alternative(record, args["alternative"])
            linked = lc.follow_up(record, alternative, principal, at)
            created.append(linked.id)
            event = Event(principal.subject, at, record.state, lc.FULFILLED_BY_ALTERNATIVE,
                          "choose", args["reason"],
                          {"alternative_id": alternative["id"], "follow_up_id": linked.id})
            return Change(lc.FULFILLED_BY_ALTERNATIVE, event, follow_up=NewRequest(linked))

        record = self._transition(request_id, principal, "choose", decide)
        follow = self.ledger.get(created[-1])
        log.info("follow_up_created", request_id=follow.id, parent_id=record.id,
                 alternative_id=follow.alternative_id, state=follow.state)
        return record, follow

    def approve(self, request_id: str, principal: Principal, body: Any,
                now: datetime | None = None) -> RequestRecord:
        """An approver approves, optionally narrowing duration or systems."""
        args = lc.fields(body, {"duration_hours": (int, float), "systems": list, "reason": str})
        at = now or self.clock()

        def decide(record: RequestRecord) -> Change:
            lc.require_action(record, "approve")
            lc.require_approver(record, principal, "approve")
            given = lc.approvers(record)
            if principal.subject in given:
                raise ConflictError(f"{principal.subject} already approved this request",
                                    state=record.state)
            grant = lc.narrow(record, args["duration_hours"], args["systems"])
            count = len(given) + 1
            done = count >= max(1, record.approvals_needed)
            to = lc.GRANTED if done else lc.AWAITING_APPROVAL
            extra = lc.granted(record, at, grant) if done else {"grant": grant}
            narrowed = {k: grant[k] for k in grant if grant[k] != record.grant.get(k)}
            event = Event(principal.subject, at, record.state, to, "approve", args["reason"],
                          {"approval": count, "needed": record.approvals_needed,
                           "narrowed": narrowed})
            return Change(to, event, **extra)

        return self._transition(request_id, principal, "approve", decide)

    def reject(self, request_id: str, principal: Principal, body: Any,
               now: datetime | None = None) -> RequestRecord:
        """An approver rejects, saying why."""
        return self._simple(request_id, principal, body, "reject", lc.REJECTED,
                            lc.require_approver, reason_required=True, now=now)

    def withdraw(self, request_id: str, principal: Principal, body: Any,
                 now: datetime | None = None) -> RequestRecord:
        """The requester withdraws an open request."""
        return self._simple(request_id, principal, body, "withdraw", lc.WITHDRAWN,
                            lc.require_requester, reason_required=False, now=now)

    def revoke(self, request_id: str, principal: Principal, body: Any,
               now: datetime | None = None) -> RequestRecord:
        """The MSP (or the requester, giving access back) ends a grant early."""

        def may_revoke(record: RequestRecord, who: Principal, action: str) -> None:
            if who.role not in lc.MSP_ROLES:
                lc.require_requester(record, who, action)

        return self._simple(request_id, principal, body, "revoke", lc.REVOKED, may_revoke,
                            reason_required=True, now=now)

    def _simple(
        self, request_id: str, principal: Principal, body: Any, action: str, to: str,
        authorise: Callable[[RequestRecord, Principal, str], None], reason_required: bool,
        now: datetime | None,
    ) -> RequestRecord:
        args = lc.fields(body, {"reason": str})
        if reason_required and not (args["reason"] or "").strip():
            raise ValidationError([FieldError("reason", f"is required to {action}")])
        at = now or self.clock()

        def decide(record: RequestRecord) -> Change:
            lc.require_action(record, action)
            authorise(record, principal, action)
            ends = at if record.state == lc.GRANTED else None
            event = Event(principal.subject, at, record.state, to, action, args["reason"])
            return Change(to, event, grant_ends_at=ends)

        return self._transition(request_id, principal, action, decide)

    # -- expiry --------------------------------------------------------------------------

    def _expire(self, request_id: str, now: datetime) -> bool:
        def decide(record: RequestRecord) -> Change:
            lc.require_action(record, "expire")
            if record.grant_ends_at is None or record.grant_ends_at > now:
                raise ConflictError("the grant has not ended", state=record.state)
            return Change(lc.EXPIRED, Event(lc.SYSTEM_ACTOR, now, record.state, lc.EXPIRED,
                                            "expire", "the grant's time box ended",
                                            {"ended_at": record.grant_ends_at.isoformat()}))

        try:
            self.ledger.transition(request_id, decide)
        except ConflictError:
            return False  # revoked, or expired by someone else, meanwhile
        log.info("request_transitioned", request_id=request_id, action="expire",
                 from_state=lc.GRANTED, to_state=lc.EXPIRED, actor=lc.SYSTEM_ACTOR)
        return True

    def expire_due(self, now: datetime | None = None) -> list[str]:
        """Move every grant past its end to ``expired``; returns the ids moved."""
        now = now or self.clock()
        moved = [rid for rid in self.ledger.due_for_expiry(now) if self._expire(rid, now)]
        if moved:
            log.info("grants_expired", count=len(moved), request_ids=moved)
        return moved


def parse_query(params: Mapping[str, Any]) -> RequestQuery:
    """Filters from query parameters (strings); ValidationError naming each bad one."""
    errors = [FieldError(k, "unknown query parameter") for k in params if k not in _QUERY]

    def one(name: str) -> str | None:
        value = params.get(name)
        if isinstance(value, list | tuple):
            value = value[-1] if value else None
        return str(value) if value not in (None, "") else None

    def when(name: str) -> datetime | None:
        raw = one(name)
        try:
            return parse_timestamp(raw) if raw else None
        except ValueError:
            errors.append(FieldError(name, "must be an RFC 3339 timestamp"))
            return None

    raw_states = params.get("state") or []
    raw_states = raw_states if isinstance(raw_states, list | tuple) else [raw_states]
    states = tuple(s for item in raw_states for s in str(item).split(",") if s)
    errors += [FieldError("state", f"unknown state {s!r}") for s in states if s not in lc.STATES]
    limit = 50
    if one("limit") is not None:
        try:
            limit = int(one("limit") or "")
            if not 1 <= limit <= 200:
                raise ValueError
        except ValueError:
            errors.append(FieldError("limit", "must be a whole number from 1 to 200"))
    query = RequestQuery(customer=one("customer"), states=states, requester=one("requester"),
                         created_from=when("created_from"), created_until=when("created_until"),
                         limit=limit, cursor=one("cursor"))
    if errors:
        raise ValidationError(errors)
    return query
