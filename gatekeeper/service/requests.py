"""Use cases of the ledger: submit, read, list, and every transition of a request's lifecycle."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from typing import Any, Protocol

import structlog

from gatekeeper.domain import (
    AccessRequest,
    ConflictError,
    Decision,
    FieldError,
    NotFoundError,
    Principal,
    RequestRecord,
    ValidationError,
)
from gatekeeper.domain.commands import (
    Accept,
    Approve,
    Choose,
    Command,
    Extend,
    Reject,
    Revoke,
    Withdraw,
)
from gatekeeper.domain.lifecycle import EXPIRED, GRANTED, STATES, SYSTEM_ACTOR
from gatekeeper.domain.record import Change
from gatekeeper.domain.request import parse_timestamp
from gatekeeper.domain.roles import is_customer_role
from gatekeeper.domain.situation import SituationQuery
from gatekeeper.ledger import (
    IdempotencyConflict,
    Ledger,
    NewRequest,
    Page,
    RequestQuery,
    StoredResponse,
)
from gatekeeper.service.deadlines import Deadlines
from gatekeeper.service.decisions import Clock, utc_now
from gatekeeper.service.representation import deadline_to_dict, request_to_dict

log = structlog.get_logger(__name__)

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
DEFAULT_KEY_LIFETIME = timedelta(hours=24)  # GATEKEEPER_IDEMPOTENCY_KEY_HOURS
_QUERY = ("customer", "state", "requester", "created_from", "created_until", "limit", "cursor")


class Decider(Protocol):
    """What submitting needs from the decision service."""

    def decide(
        self, body: Any, principal: Principal, now: datetime | None = None,
        request_id: str | None = None,
    ) -> tuple[AccessRequest, Decision]: ...

    def decide_request(
        self, request: AccessRequest, principal: Principal, now: datetime | None = None,
        request_id: str | None = None, context: Mapping[str, Any] | None = None,
    ) -> Decision: ...

    def max_duration_hours(self, access: str) -> float | None: ...

    def customer_zone(self, customer: str) -> tzinfo: ...


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


class RequestService:
    """Records requests with their decisions and moves them through the lifecycle.

    The request record decides whether a transition fits and who may make it; this service
    adds what the domain cannot: the engine, locking, idempotency and logging.
    """

    def __init__(self, decisions: Decider, ledger: Ledger, clock: Clock = utc_now,
                 deadlines: Deadlines | None = None,
                 key_lifetime: timedelta = DEFAULT_KEY_LIFETIME) -> None:
        self.decisions = decisions
        self.ledger = ledger
        self.clock = clock
        self.deadlines = deadlines  # the answer says by when a waiting request is looked at
        self.key_lifetime = key_lifetime  # an Idempotency-Key older than this is forgotten

    # -- submitting ----------------------------------------------------------------------

    def submit(
        self, body: Any, principal: Principal, idempotency_key: str | None = None,
        now: datetime | None = None,
    ) -> Submission:
        """Evaluate and record a request in one transaction; replays a known Idempotency-Key."""
        fingerprint = body_hash(body)
        now = now or self.clock()
        expired_before = None
        if idempotency_key is not None:
            if not _KEY.match(idempotency_key):
                raise ValidationError([FieldError(
                    "Idempotency-Key", "must be 1 to 255 visible ASCII characters")])
            stored = self.ledger.find_response(principal.subject, idempotency_key)
            if stored is not None and self._expired(stored, now):
                expired_before = now - self.key_lifetime  # a new request; the old answer goes
                log.info("idempotency_key_expired", idempotency_key=idempotency_key,
                         request_id=stored.request_id)
            elif stored is not None:
                return self._replay(stored, fingerprint)
        request_id = str(uuid.uuid4())
        request, decision = self.decisions.decide(body, principal, now=now, request_id=request_id)
        record = RequestRecord.submitted(request_id, request, decision, principal, now)
        response = request_to_dict(record)
        if self.deadlines is not None:  # stored with the answer: a replay says the same
            response["deadline"] = deadline_to_dict(self.deadlines.of(record, now))
        stored = None
        if idempotency_key is not None:
            stored = StoredResponse(principal.subject, idempotency_key, fingerprint,
                                    request_id, 201, response)
        try:
            self.ledger.create(NewRequest(record, stored, forget_before=expired_before))
        except IdempotencyConflict as exc:  # a concurrent retry recorded it first
            return self._replay(exc.stored, fingerprint)
        log.info("request_submitted", request_id=request_id, decision_id=decision.decision_id,
                 outcome=decision.outcome, state=record.state, requester=principal.subject,
                 customer=record.customer, idempotency_key=idempotency_key)
        return Submission(201, response, request_id)

    def _expired(self, stored: StoredResponse, now: datetime) -> bool:
        return stored.created_at is not None and stored.created_at < now - self.key_lifetime

    def prune_keys(self, now: datetime | None = None) -> int:
        """Forget the Idempotency-Keys older than their lifetime; returns how many."""
        pruned = self.ledger.prune_responses((now or self.clock()) - self.key_lifetime)
        if pruned:
            log.info("idempotency_keys_pruned", count=pruned)
        return pruned

    def _replay(self, stored: StoredResponse, fingerprint: str) -> Submission:
        if stored.body_hash != fingerprint:
            raise ValidationError(
                [FieldError("Idempotency-Key", "was already used with a different body")],
                detail=f"Idempotency-Key {stored.key!r} was already used for request "
                       f"{stored.request_id} with a different body",
            )
        log.info("request_replayed", request_id=stored.request_id, idempotency_key=stored.key)
        return Submission(stored.status, stored.body, stored.request_id, replayed=True)

    # -- reading -------------------------------------------------------------------------

    def get(self, request_id: str, principal: Principal, now: datetime | None = None
            ) -> RequestRecord:
        """One request with its history; a grant past its end is expired first."""
        record = self.ledger.get(request_id)
        if not record.visible_to(principal):
            raise NotFoundError(f"no access request {request_id!r}")
        now = now or self.clock()
        if record.state == GRANTED and record.grant_ends_at and record.grant_ends_at <= now:
            self._expire(request_id, now)
            record = self.ledger.get(request_id)
        return record

    def search(self, principal: Principal, params: Mapping[str, Any],
               now: datetime | None = None) -> Page:
        """Requests matching filters, newest first, a page at a time."""
        self.expire_due(now)
        query = parse_query(params)
        if is_customer_role(principal.role):
            if query.customer not in (None, principal.organisation):
                return Page(items=(), next_cursor=None)
            query = replace(query, customer=principal.organisation)
        return self.ledger.search(query)

    # -- transitions ---------------------------------------------------------------------

    def execute(self, request_id: str, principal: Principal, command: Command,
                now: datetime | None = None, decided: Decision | None = None,
                follow_up_id: str | None = None, decided_on: int | None = None
                ) -> tuple[RequestRecord, Change]:
        """Apply a typed command under the request's lock; returns the record and the change.

        ``decided`` (with ``follow_up_id``) is the policy's decision on the follow-up of a
        ``Choose`` or an ``Extend``, made before the lock (see :meth:`choose`); with
        ``decided_on`` (the version it was decided on) a request that moved since is a 409.
        """
        at = now or self.clock()
        seen: list[tuple[str, Change]] = []
        if isinstance(command, Approve | Accept):
            self._require_live_parent_grant(request_id, at)

        def step(record: RequestRecord) -> Change:
            if not record.visible_to(principal):
                raise NotFoundError(f"no access request {request_id!r}")
            if decided_on is not None and record.version != decided_on:
                raise ConflictError("the request changed while the policy decided; try again",
                                    state=record.state)
            if isinstance(command, Choose):
                change = record.choose(command, principal, at, decided, follow_up_id)
            elif isinstance(command, Extend):
                change = record.extend(command, principal, at, decided, follow_up_id)
            else:
                change = record.handle(command, principal, at, decided)
            seen.append((record.state, change))
            return change

        record = self.ledger.transition(request_id, step)
        before, change = seen[-1]
        log.info("request_transitioned", request_id=request_id, action=command.action,
                 from_state=before, to_state=record.state, actor=principal.subject,
                 reason=change.event.reason, details=dict(change.event.details))
        return record, change

    def _require_live_parent_grant(self, request_id: str, at: datetime) -> None:
        """A linked extension (a parent, no alternative) goes on only while the grant it
        asks more time for is live: once that grant is revoked or has ended, approving or
        accepting it is a 409 and the requester asks for access again."""
        try:
            record = self.ledger.get(request_id)
        except NotFoundError:
            return  # the transition itself answers 404
        if record.parent_id is None or record.alternative_id is not None:
            return
        parent = self.ledger.get(record.parent_id)
        if parent.state == GRANTED and parent.grant_ends_at and parent.grant_ends_at <= at:
            self._expire(parent.id, at)
            parent = self.ledger.get(parent.id)
        if parent.state != GRANTED:
            raise ConflictError(
                f"the grant this request asks more time for ({parent.id}) is {parent.state}; "
                "ask for access again instead", state=record.state)

    def accept(self, request_id: str, principal: Principal, body: Any,
               now: datetime | None = None) -> RequestRecord:
        """The requester accepts the consequences, naming each one."""
        return self.execute(request_id, principal, Accept.from_body(body), now)[0]

    def choose(self, request_id: str, principal: Principal, body: Any,
               now: datetime | None = None) -> tuple[RequestRecord, RequestRecord]:
        """The requester takes an alternative; returns the request and its linked follow-up.

        The follow-up is decided by the policy as a request of its own, *before* the row is
        locked: what it is decided on (the parent's request and the alternative its recorded
        decision offered) never changes after submission, so a concurrent transition cannot
        make the decision stale; and an evaluation (or an OPA server's round trip) held inside
        the lock would queue every writer behind the engine (on SQLite the lock is the whole
        database's). Under the lock the record checks the state again and links the decision;
        if the state moved on meanwhile the choice is a 409 and the decision is only logged.
        A policy or engine error raises here (503) and nothing is recorded.
        """
        command = Choose.from_body(body)
        at = now or self.clock()
        parent = self.ledger.get(request_id)
        if not parent.visible_to(principal):
            raise NotFoundError(f"no access request {request_id!r}")
        follow_up_id = str(uuid.uuid4())
        request = parent.follow_up_request(command, principal, at)
        decided = self.decisions.decide_request(request, principal, now=at,
                                                request_id=follow_up_id)
        record, change = self.execute(request_id, principal, command, at, decided,
                                      follow_up_id)
        assert change.follow_up is not None  # a choice always links a follow-up
        follow = self.ledger.get(change.follow_up.id)
        log.info("follow_up_created", request_id=follow.id, parent_id=record.id,
                 alternative_id=follow.alternative_id, state=follow.state,
                 decision_id=decided.decision_id, outcome=decided.outcome)
        return record, follow

    def extend(self, request_id: str, principal: Principal, body: Any,
               now: datetime | None = None) -> tuple[RequestRecord, RequestRecord | None]:
        """The requester asks for more hours on a live grant; the policy decides it.

        As with :meth:`choose`, the extension is decided before the lock, on the request for
        ``hours`` from the grant's end, with a context that leaves this grant out (it is
        neither an overlap of its own extension nor other downtime). Returns the grant and,
        unless its end simply moved, the linked request that carries the extension.
        """
        command = Extend.from_body(body)
        at = now or self.clock()
        current = self.get(request_id, principal, at)  # an ended grant is expired first: 409
        access = current.request.access
        request = current.extension_request(command, principal,
                                            self.decisions.max_duration_hours(access))
        assert request.start is not None  # the grant's end
        context = self.ledger.situation(SituationQuery.around(
            request.customer, request.environment, request.start, request.duration_hours,
            exclude=current.id, zone=self.decisions.customer_zone(request.customer))).to_input()
        follow_up_id = str(uuid.uuid4())
        decided = self.decisions.decide_request(request, principal, now=at,
                                                request_id=follow_up_id, context=context)
        # an extension is decided on the grant's end: if the grant moved meanwhile, a 409
        record, change = self.execute(request_id, principal, command, at, decided,
                                      follow_up_id, decided_on=current.version)
        linked = self.ledger.get(change.follow_up.id) if change.follow_up else None
        log.info("grant_extension_decided", request_id=record.id, hours=command.hours,
                 outcome=decided.outcome, decision_id=decided.decision_id,
                 follow_up_id=linked.id if linked else None,
                 ends_at=record.grant_ends_at.isoformat() if record.grant_ends_at else None)
        return record, linked

    def approve(self, request_id: str, principal: Principal, body: Any,
                now: datetime | None = None) -> RequestRecord:
        """An approver approves, optionally narrowing duration or systems."""
        return self.execute(request_id, principal, Approve.from_body(body), now)[0]

    def reject(self, request_id: str, principal: Principal, body: Any,
               now: datetime | None = None) -> RequestRecord:
        """An approver rejects, saying why."""
        return self.execute(request_id, principal, Reject.from_body(body), now)[0]

    def withdraw(self, request_id: str, principal: Principal, body: Any,
                 now: datetime | None = None) -> RequestRecord:
        """The requester withdraws an open request."""
        return self.execute(request_id, principal, Withdraw.from_body(body), now)[0]

    def revoke(self, request_id: str, principal: Principal, body: Any,
               now: datetime | None = None) -> RequestRecord:
        """The MSP (or the requester, giving access back) ends a grant early."""
        return self.execute(request_id, principal, Revoke.from_body(body), now)[0]

    # -- expiry --------------------------------------------------------------------------

    def _expire(self, request_id: str, now: datetime) -> bool:
        try:
            self.ledger.transition(request_id, lambda record: record.expire(now))
        except ConflictError:
            return False  # revoked, or expired by someone else, meanwhile
        log.info("request_transitioned", request_id=request_id, action="expire",
                 from_state=GRANTED, to_state=EXPIRED, actor=SYSTEM_ACTOR)
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
        if raw is None and name in params:  # given, but empty: not a time
            errors.append(FieldError(name, "must be an RFC 3339 timestamp, not empty"))
        try:
            return parse_timestamp(raw) if raw else None
        except (ValueError, OverflowError):
            errors.append(FieldError(name, "must be an RFC 3339 timestamp"))
            return None

    raw_states = params.get("state") or []
    raw_states = raw_states if isinstance(raw_states, list | tuple) else [raw_states]
    states = tuple(s for item in raw_states for s in str(item).split(","))
    errors += [FieldError("state", f"unknown state {s!r} (known: {', '.join(STATES)})")
               for s in states if s not in STATES]
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
