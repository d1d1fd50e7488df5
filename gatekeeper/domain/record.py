"""A recorded access request and its lifecycle: every transition is a pure method here.

Each method checks that the action fits the current state and that the caller may take it,
then returns the ``Change`` to store. Nothing here locks, stores, logs or calls the engine:
the service does that around these methods.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from gatekeeper.domain import lifecycle as lc
from gatekeeper.domain.commands import Accept, Approve, Choose, Command, Extend, Reject, Withdraw
from gatekeeper.domain.decision import Alternative, Decision
from gatekeeper.domain.errors import ConflictError, FieldError, ForbiddenError, ValidationError
from gatekeeper.domain.extension import extension_change, extension_request
from gatekeeper.domain.follow_up import follow_up_request
from gatekeeper.domain.identity import Principal
from gatekeeper.domain.lifecycle import Event, Grant
from gatekeeper.domain.request import AccessRequest
from gatekeeper.domain.roles import (
    ACTS_FOR_REQUESTER,
    APPROVES_ANY,
    DEFAULT_APPROVER_ROLES,
    MSP_STAFF,
    is_customer_role,
)


@dataclass(frozen=True)
class Change:
    """What one transition does: the new state, its audit event, and optional side effects."""

    to_state: str
    event: Event
    grant: Grant | None = None
    grant_starts_at: datetime | None = None
    grant_ends_at: datetime | None = None
    follow_up: RequestRecord | None = None


@dataclass(frozen=True)
class RequestRecord:
    """An access request as recorded, with its decision, grant window and history."""

    id: str
    customer: str
    environment: str
    requester_subject: str
    requester_organisation: str | None
    state: str
    request: AccessRequest
    decision: Decision
    policy_revision: str
    outcome: str
    created_at: datetime
    updated_at: datetime
    approvals_needed: int = 0
    parent_id: str | None = None
    alternative_id: str | None = None
    grant: Grant = field(default_factory=Grant)
    grant_starts_at: datetime | None = None
    grant_ends_at: datetime | None = None
    version: int = 1
    events: tuple[Event, ...] = ()
    follow_up_ids: tuple[str, ...] = ()

    # -- making one ------------------------------------------------------------------------

    @classmethod
    def submitted(cls, request_id: str, request: AccessRequest, decision: Decision,
                  principal: Principal, now: datetime,
                  details: Mapping[str, Any] | None = None) -> RequestRecord:
        """A new request, decided: its state follows the outcome, with both first events.

        ``details`` go on both events (a follow-up names its parent and alternative).
        """
        state = lc.STATE_BY_OUTCOME[decision.outcome]
        needed = 0
        if decision.outcome == "needs_approval" or decision.approval.required:
            needed = max(1, decision.approval.count)
        grant = Grant(request.duration_hours, request.systems)
        starts = ends = None
        if state == lc.GRANTED:
            starts, ends = grant_window(now, request.start, request.duration_hours)
        linked = dict(details or {})
        events = (
            Event(principal.subject, now, None, lc.SUBMITTED, "submit", None,
                  {**({"ticket": request.ticket} if request.ticket else {}), **linked}, seq=1),
            Event(lc.SYSTEM_ACTOR, now, lc.SUBMITTED, state, "decide", None,
                  {"outcome": decision.outcome, "decision_id": decision.decision_id,
                   "policy_revision": decision.policy.revision,
                   "engine": decision.policy.engine, **linked}, seq=2),
        )
        return cls(
            id=request_id, customer=request.customer, environment=request.environment,
            requester_subject=principal.subject, requester_organisation=principal.organisation,
            state=state, request=request, decision=decision,
            policy_revision=decision.policy.revision, outcome=decision.outcome,
            created_at=now, updated_at=now, approvals_needed=needed, grant=grant,
            grant_starts_at=starts, grant_ends_at=ends, events=events,
        )

    # -- what a caller may see and do -----------------------------------------------------

    def visible_to(self, principal: Principal) -> bool:
        """A customer sees only its own organisation's requests; the MSP sees all."""
        return not is_customer_role(principal.role) or self.customer == principal.organisation

    @property
    def allowed_actions(self) -> list[str]:
        """The actions possible now: the state's, less an acceptance or approval already given."""
        missing = self.waiting_for
        return [a for a in lc.allowed_actions(self.state)
                if a not in lc.GIVES or lc.GIVES[a] in missing]

    @property
    def accepted(self) -> bool:
        """The requester accepted the consequences (or the decision has none)."""
        return not self.decision.consequences or any(e.action == "accept" for e in self.events)

    @property
    def approvals_missing(self) -> int:
        """How many more distinct approvers the decision asks for."""
        return max(0, self.approvals_needed - len(self.approvers))

    @property
    def waiting_for(self) -> list[str]:
        """What an open request still needs before it is granted: ``acceptance`` (the
        requester's, of every consequence) and ``approval``, in either order."""
        if self.state not in lc.OPEN_STATES:
            return []
        missing = [] if self.accepted else [lc.ACCEPTANCE]
        return missing + ([lc.APPROVAL] if self.approvals_missing else [])

    @property
    def approvers(self) -> list[str]:
        """Who approved so far, in order."""
        return [e.actor for e in self.events if e.action == "approve"]

    @property
    def approver_roles(self) -> tuple[str, ...]:
        """The roles the decision names as approvers (the default role when it names none)."""
        return self.decision.approval.roles or DEFAULT_APPROVER_ROLES

    def _require_action(self, action: str) -> None:
        if action in lc.GIVES and lc.GIVES[action] not in self.waiting_for and (
                self.state, action) in lc.TRANSITIONS:
            raise ConflictError(f"cannot {action}: this request no longer waits for "
                                f"{lc.GIVES[action]}", state=self.state)
        if (self.state, action) not in lc.TRANSITIONS:
            allowed = ", ".join(self.allowed_actions) or "none"
            raise ConflictError(
                f"cannot {action} a request that is {self.state} (allowed now: {allowed})",
                state=self.state,
            )

    def _require_requester(self, principal: Principal, action: str) -> None:
        """Only the requester answers their request (an admin may act for them)."""
        if (principal.subject != self.requester_subject
                and principal.role not in ACTS_FOR_REQUESTER):
            raise ForbiddenError(f"only the requester ({self.requester_subject}) may {action}")

    def _require_approver(self, principal: Principal, action: str) -> None:
        """Approvers hold a role the decision names; a requester never decides their own."""
        if principal.subject == self.requester_subject:
            raise ForbiddenError(f"a requester never may {action} their own request")
        roles = self.approver_roles
        if principal.role not in roles and principal.role not in APPROVES_ANY:
            raise ForbiddenError(f"to {action} this request needs the role {' or '.join(roles)}")

    def _may_revoke(self, principal: Principal, action: str) -> None:
        """The MSP's people end any grant; a requester gives their own access back."""
        if principal.role not in MSP_STAFF:
            self._require_requester(principal, action)

    # -- transitions ----------------------------------------------------------------------

    def handle(self, command: Command, principal: Principal, at: datetime,
               decided: Decision | None = None) -> Change:
        """Apply one caller's command (ConflictError, ForbiddenError or ValidationError when
        it does not fit); ``decided``: the policy's answer on a ``Choose`` or ``Extend``."""
        if isinstance(command, Accept):
            return self.accept(command, principal, at)
        if isinstance(command, Choose):
            return self.choose(command, principal, at, decided)
        if isinstance(command, Approve):
            return self.approve(command, principal, at)
        if isinstance(command, Reject):
            return self._close(command.action, lc.REJECTED, command.reason, principal, at,
                               self._require_approver)
        if isinstance(command, Extend):
            return self.extend(command, principal, at, decided)
        if isinstance(command, Withdraw):
            return self._close(command.action, lc.WITHDRAWN, command.reason, principal, at,
                               self._require_requester)
        return self._close(command.action, lc.REVOKED, command.reason, principal, at,
                           self._may_revoke)

    def accept(self, command: Accept, principal: Principal, at: datetime) -> Change:
        """The requester accepts every consequence: granted once no approval is missing."""
        self._require_action("accept")
        self._require_requester(principal, "accept")
        ids = self._check_consequences(command.consequences)
        to = lc.AWAITING_APPROVAL if self.approvals_missing else lc.GRANTED
        event = Event(principal.subject, at, self.state, to, "accept", command.reason,
                      {"consequences": ids})
        if to != lc.GRANTED:
            return Change(to, event)
        return self._granting(to, event, at, self.grant)

    def follow_up_request(self, command: Choose, principal: Principal,
                          at: datetime) -> AccessRequest:
        """The request the policy must decide before ``command``; checks what ``choose``
        checks (state, requester, alternative), so a bad choice never reaches the engine."""
        self._require_action("choose")
        self._require_requester(principal, "choose an alternative")
        return follow_up_request(self.request, self._find_alternative(command.alternative), at)

    def choose(self, command: Choose, principal: Principal, at: datetime,
               decided: Decision | None, follow_up_id: str | None = None) -> Change:
        """The requester takes an alternative: this request is fulfilled by a linked one,
        recorded with ``decided``, the policy's own decision on that follow-up."""
        request = self.follow_up_request(command, principal, at)
        if decided is None or decided.decision_id == self.decision.decision_id:
            raise ValueError("a follow-up is recorded only with a decision of its own")
        alternative = self._find_alternative(command.alternative)
        linked = self._follow_up(alternative, request, decided, principal, at,
                                 follow_up_id or str(uuid.uuid4()))
        event = Event(principal.subject, at, self.state, lc.FULFILLED_BY_ALTERNATIVE, "choose",
                      command.reason, {"alternative_id": alternative.id, "follow_up_id": linked.id,
                                       "follow_up_decision_id": decided.decision_id})
        return Change(lc.FULFILLED_BY_ALTERNATIVE, event, follow_up=linked)

    def extension_request(self, command: Extend, principal: Principal,
                          max_hours: float | None = None) -> AccessRequest:
        """What the policy decides before ``command`` (state and requester checked first)."""
        self._require_action("extend")
        self._require_requester(principal, "extend")
        return extension_request(self.request, self.grant, self.grant_ends_at, command.hours,
                                 max_hours)

    def extend(self, command: Extend, principal: Principal, at: datetime,
               decided: Decision | None, follow_up_id: str | None = None) -> Change:
        """The requester gets more time as the policy's ``decided`` answer says."""
        request = self.extension_request(command, principal)
        if decided is None or decided.decision_id == self.decision.decision_id:
            raise ValueError("an extension is recorded only with a decision of its own")
        linked_id = follow_up_id or str(uuid.uuid4())
        done = extension_change(self.grant, self.grant_ends_at, command, principal, at, decided,
                                linked_id)
        if not done.linked:
            return Change(lc.GRANTED, done.event, grant=done.grant, grant_ends_at=done.ends_at)
        linked = self._linked(linked_id, request, decided, principal, at, {"extends": self.id})
        return Change(lc.GRANTED, done.event, follow_up=linked)

    def approve(self, command: Approve, principal: Principal, at: datetime) -> Change:
        """One more approval. With the last one the request is granted, or waits for the
        requester when they have not yet accepted the consequences."""
        self._require_action("approve")
        self._require_approver(principal, "approve")
        given = self.approvers
        if principal.subject in given:
            raise ConflictError(f"{principal.subject} already approved this request",
                                state=self.state)
        grant = self._narrow(command.duration_hours, command.systems)
        count = len(given) + 1
        done = count >= max(1, self.approvals_needed)
        # the last approval grants only what the requester has accepted; else it waits for them
        waits = lc.AWAITING_ACCEPTANCE if not self.accepted else lc.GRANTED
        to = waits if done else self.state
        narrowed = {k: v for k, v in grant.to_dict().items() if v != self.grant.to_dict()[k]}
        event = Event(principal.subject, at, self.state, to, "approve", command.reason,
                      {"approval": count, "needed": self.approvals_needed, "narrowed": narrowed})
        if to != lc.GRANTED:
            return Change(to, event, grant=grant)
        return self._granting(to, event, at, grant)

    def after(self, change: Change) -> RequestRecord:
        """This record once the ledger stored ``change`` (policy CI replays with it)."""
        return replace(
            self, state=change.to_state, updated_at=change.event.at,
            grant=change.grant if change.grant is not None else self.grant,
            grant_starts_at=change.grant_starts_at or self.grant_starts_at,
            grant_ends_at=change.grant_ends_at or self.grant_ends_at,
            version=self.version + 1,
            events=(*self.events, replace(change.event, seq=len(self.events) + 1)),
            follow_up_ids=(*self.follow_up_ids, *((change.follow_up.id,)
                                                 if change.follow_up else ())))

    def expire(self, at: datetime) -> Change:
        """The system ends a grant whose time box is over."""
        self._require_action("expire")
        if self.grant_ends_at is None or self.grant_ends_at > at:
            raise ConflictError("the grant has not ended", state=self.state)
        return Change(lc.EXPIRED, Event(lc.SYSTEM_ACTOR, at, self.state, lc.EXPIRED, "expire",
                                        "the grant's time box ended",
                                        {"ended_at": self.grant_ends_at.isoformat()}))

    def _close(self, action: str, to: str, reason: str | None, principal: Principal,
               at: datetime, authorise: Any) -> Change:
        self._require_action(action)
        authorise(principal, action)
        ends = at if self.state == lc.GRANTED else None
        return Change(to, Event(principal.subject, at, self.state, to, action, reason),
                      grant_ends_at=ends)

    def _granting(self, to: str, event: Event, at: datetime, grant: Grant) -> Change:
        starts, ends = grant_window(at, self.request.start, grant.duration_hours)
        return Change(to, event, grant=grant, grant_starts_at=starts, grant_ends_at=ends)

    # -- checks against the decision ------------------------------------------------------

    def _check_consequences(self, accepted: tuple[str, ...]) -> list[str]:
        """Every consequence of the decision must be named, and nothing else."""
        known = [str(c.id) for c in self.decision.consequences]
        errors = [
            FieldError(f"consequences.{i}",
                       f"{cid!r} is not a consequence of this decision (known: "
                       f"{', '.join(known)})")
            for i, cid in enumerate(accepted) if cid not in known
        ]
        missing = [cid for cid in known if cid not in accepted]
        if missing:
            errors.append(FieldError("consequences", f"must accept every consequence; missing: "
                                                     f"{', '.join(missing)}"))
        if errors:
            raise ValidationError(errors)
        return sorted(set(accepted))

    def _find_alternative(self, alternative_id: str) -> Alternative:
        """The alternative the decision offered under this id, or a 422 naming it."""
        for alternative in self.decision.alternatives:
            if alternative.id == alternative_id:
                return alternative
        known = ", ".join(str(a.id) for a in self.decision.alternatives) or "none"
        problem = f"{alternative_id!r} is not an alternative of this decision (offered: {known})"
        raise ValidationError([FieldError("alternative", problem)])

    def _narrow(self, duration: float | None, systems: tuple[str, ...] | None) -> Grant:
        """An approver may shorten the grant or name fewer systems, never widen it."""
        grant = self.grant
        errors: list[FieldError] = []
        if duration is not None:
            current = float(grant.duration_hours or 0)
            if not 0 < duration <= current:
                errors.append(FieldError("duration_hours", f"may only shorten the grant: more "
                                                           f"than 0, at most {current}"))
            else:
                grant = replace(grant, duration_hours=float(duration))
        if systems is not None:
            current_systems = grant.systems
            wider = [s for s in systems if current_systems and s not in current_systems]
            if not systems:
                errors.append(FieldError("systems", "must name at least one system"))
            for name in wider:
                errors.append(FieldError("systems", f"{name!r} was not requested; "
                                                    "an approver may only name fewer systems"))
            if not wider and systems:
                grant = replace(grant, systems=tuple(sorted(set(systems))))
        if errors:
            raise ValidationError(errors)
        return grant

    # -- the follow-up of a chosen alternative --------------------------------------------

    def _follow_up(self, alternative: Alternative, request: AccessRequest, decided: Decision,
                   principal: Principal, now: datetime, follow_up_id: str) -> RequestRecord:
        """The linked request that carries a chosen alternative, with its own decision.

        Its state, approvals, consequences and conditions are the policy's answer to the
        follow-up (who signs off is the alternative's approval block, as the policy applied
        it); the decision also records the alternative and the parent decision.
        """
        decision = replace(decided, chosen_alternative=alternative,
                           parent_decision_id=self.decision.decision_id)
        return replace(self._linked(follow_up_id, request, decision, principal, now,
                                    {"alternative_id": alternative.id}),
                       alternative_id=alternative.id)

    def _linked(self, linked_id: str, request: AccessRequest, decided: Decision,
                principal: Principal, now: datetime, details: dict[str, Any]) -> RequestRecord:
        """A request linked to this one, recorded with the policy's own ``decided``."""
        record = RequestRecord.submitted(linked_id, request, decided, principal, now,
                                         details={"parent_id": self.id, **details})
        return replace(record, requester_subject=self.requester_subject,
                       requester_organisation=self.requester_organisation, parent_id=self.id)


def grant_window(now: datetime, requested_start: datetime | None,
                 duration_hours: float) -> tuple[datetime, datetime]:
    """The clock starts when access is granted, or at the requested start if that is later."""
    start = max(now, requested_start) if requested_start is not None else now
    return start, start + timedelta(hours=float(duration_hours))
