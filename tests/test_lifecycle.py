"""The request lifecycle through RequestService on both backends, with canned decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gatekeeper.domain import (
    ConflictError,
    EngineError,
    ForbiddenError,
    NotFoundError,
    Principal,
    ValidationError,
)
from gatekeeper.domain.lifecycle import TRANSITIONS
from gatekeeper.ledger import SqlLedger
from gatekeeper.service.requests import RequestService
from tests.ledger_fixtures import (
    APPROVER,
    APPROVER_2,
    ENGINEER,
    OTHER_CUSTOMER,
    REQUESTER,
    CannedDecisions,
    request_body,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ALL = ["reprovisioning_downtime", "sla_budget"]


@pytest.fixture
def service(ledger: SqlLedger) -> RequestService:
    return RequestService(CannedDecisions(), ledger, clock=lambda: NOW)


def submit(service: RequestService, access: str = "full_admin", **kw: Any) -> str:
    return service.submit(request_body(access, **kw), REQUESTER).request_id


def states(service: RequestService, request_id: str) -> list[tuple[str | None, str, str]]:
    record = service.get(request_id, ENGINEER)
    return [(e.from_state, e.to_state, e.action) for e in record.events]


@pytest.mark.parametrize(
    ("access", "state"),
    [("read_only", "granted"), ("full_admin", "awaiting_acceptance"),
     ("scoped_admin", "awaiting_approval"), ("data_export", "denied")],
)
def test_the_outcome_sets_the_first_state(service: RequestService, access: str,
                                          state: str) -> None:
    result = service.submit(request_body(access), REQUESTER)
    assert result.status == 201 and not result.replayed
    assert result.body["state"] == state
    assert states(service, result.request_id) == [
        (None, "submitted", "submit"), ("submitted", state, "decide")]
    record = service.get(result.request_id, ENGINEER)
    assert record.requester_subject == REQUESTER.subject
    assert record.policy_revision == "rev-1"
    assert record.decision.decision_id


def test_decisions_carry_the_request_id(ledger: SqlLedger) -> None:
    decider = CannedDecisions()
    result = RequestService(decider, ledger).submit(request_body(), REQUESTER)
    assert decider.calls == [result.request_id]


def test_allow_grants_a_time_box_from_now_or_the_later_start(service: RequestService) -> None:
    now_id = submit(service, "read_only")
    record = service.get(now_id, ENGINEER)
    assert record.grant_starts_at == NOW and record.grant_ends_at == NOW + timedelta(hours=8)
    later_id = submit(service, "read_only", start="2026-11-24T09:00:00Z", duration_hours=2)
    later = service.get(later_id, ENGINEER)
    assert later.grant_starts_at == datetime(2026, 11, 24, 9, tzinfo=UTC)
    assert later.grant_ends_at == datetime(2026, 11, 24, 11, tzinfo=UTC)


def test_accepting_every_consequence_grants(service: RequestService) -> None:
    rid = submit(service)
    record = service.accept(rid, REQUESTER, {"consequences": ALL, "reason": "we accept"})
    assert record.state == "granted"
    assert record.events[-1].details == {"consequences": sorted(ALL)}
    assert record.events[-1].reason == "we accept" and record.events[-1].actor == REQUESTER.subject
    assert record.grant_ends_at == NOW + timedelta(hours=8)


def test_accept_leads_to_approval_when_the_decision_requires_it(service: RequestService) -> None:
    rid = submit(service, "break_glass")
    assert service.accept(rid, REQUESTER, {"consequences": ALL}).state == "awaiting_approval"
    assert service.approve(rid, APPROVER, {}).state == "granted"


def test_accept_names_unknown_and_missing_consequences(service: RequestService) -> None:
    rid = submit(service)
    with pytest.raises(ValidationError) as caught:
        service.accept(rid, REQUESTER, {"consequences": ["sla_budget", "made_up"]})
    problems = {e.field: e.problem for e in caught.value.errors}
    assert "made_up" in problems["consequences.1"]
    assert "reprovisioning_downtime" in problems["consequences"]
    with pytest.raises(ValidationError):
        service.accept(rid, REQUESTER, {})
    with pytest.raises(ValidationError):
        service.accept(rid, REQUESTER, {"consequences": ALL, "extra": 1})
    assert service.get(rid, ENGINEER).state == "awaiting_acceptance"


def test_only_the_requester_answers(service: RequestService) -> None:
    rid = submit(service)
    with pytest.raises(ForbiddenError):
        service.accept(rid, ENGINEER, {"consequences": ALL})
    with pytest.raises(NotFoundError):  # another customer does not even see it
        service.withdraw(rid, OTHER_CUSTOMER, {})


def test_choosing_an_alternative_links_a_follow_up(service: RequestService) -> None:
    rid = submit(service)
    original, follow = service.choose(rid, REQUESTER, {"alternative": "software_portal"})
    assert original.state == "fulfilled_by_alternative"
    assert original.follow_up_ids == (follow.id,)
    assert original.events[-1].details == {
        "alternative_id": "software_portal", "follow_up_id": follow.id,
        "follow_up_decision_id": follow.decision.decision_id}
    # decided by the policy as a request of its own, not copied from the parent
    assert follow.decision.decision_id != original.decision.decision_id
    assert follow.decision.consequences == () and follow.decision.policy.revision == "rev-2"
    assert follow.request.alternative == "software_portal"
    assert [s.summary for s in follow.decision.next_steps] == ["go to software_portal"]
    assert follow.parent_id == rid and follow.alternative_id == "software_portal"
    assert follow.state == "granted"  # the policy says it needs no approval
    assert follow.approvals_needed == 0 and follow.decision.outcome == "allow"
    assert follow.request.access == "none"
    assert follow.decision.chosen_alternative.id == "software_portal"
    staffed = submit(service)
    _, follow2 = service.choose(staffed, REQUESTER, {"alternative": "msp_standard_change"})
    assert follow2.state == "granted"  # MSP work as a standard change: no approval either
    assert follow2.request.to_dict()["start"] == "2026-11-23T18:00:00Z"  # 8 h lead time


def test_a_follow_up_waits_for_the_approval_the_policy_names(service: RequestService) -> None:
    rid = submit(service)
    _, follow = service.choose(rid, REQUESTER, {"alternative": "scoped_admin_named_servers"})
    assert follow.state == "awaiting_approval" and follow.approvals_needed == 1
    assert follow.request.access == "scoped_admin"
    assert follow.decision.outcome == "needs_approval"
    assert follow.decision.approval.to_dict() == {"required": True, "roles": ["approver"],
                                                  "count": 1}
    with pytest.raises(ForbiddenError):  # the policy named approvers, not engineers
        service.approve(follow.id, ENGINEER, {})
    assert service.approve(follow.id, APPROVER, {}).state == "granted"


def test_a_follow_up_without_an_approval_from_the_policy_fails_safe(
        service: RequestService) -> None:
    rid = submit(service)
    _, follow = service.choose(rid, REQUESTER, {"alternative": "legacy_alternative"})
    assert follow.state == "awaiting_approval" and follow.approvals_needed == 1
    assert follow.decision.approval.to_dict() == {"required": True, "roles": ["approver"],
                                                  "count": 1}
    assert service.approve(follow.id, APPROVER, {}).state == "granted"


def test_choose_names_an_alternative_the_decision_lacks(service: RequestService) -> None:
    rid = submit(service)
    with pytest.raises(ValidationError) as caught:
        service.choose(rid, REQUESTER, {"alternative": "teleport"})
    assert caught.value.errors[0].field == "alternative"
    assert "teleport" in caught.value.errors[0].problem
    assert "software_portal" in caught.value.errors[0].problem


def test_approvals_count_distinct_approvers_and_never_the_requester(
    service: RequestService,
) -> None:
    rid = submit(service, "scoped_admin")
    with pytest.raises(ForbiddenError):
        service.approve(rid, REQUESTER, {})
    with pytest.raises(ForbiddenError):  # engineer is not among the decision's roles
        service.approve(rid, ENGINEER, {})
    first = service.approve(rid, APPROVER, {"reason": "ok"})
    assert first.state == "awaiting_approval"
    with pytest.raises(ConflictError):
        service.approve(rid, APPROVER, {})
    second = service.approve(rid, APPROVER_2, {})
    # every approval given; the requester has still to accept the consequences
    assert second.state == "awaiting_acceptance" and second.waiting_for == ["acceptance"]
    assert [e.actor for e in second.events if e.action == "approve"] == [
        APPROVER.subject, APPROVER_2.subject]
    granted = service.accept(rid, REQUESTER, {"consequences": ALL})
    assert granted.state == "granted" and granted.waiting_for == []


def test_the_requester_may_accept_before_the_approvers(service: RequestService) -> None:
    rid = submit(service, "scoped_admin")  # needs_approval with consequences
    first = service.get(rid, REQUESTER)
    assert first.state == "awaiting_approval"
    assert first.waiting_for == ["acceptance", "approval"]
    accepted = service.accept(rid, REQUESTER, {"consequences": ALL})
    assert accepted.state == "awaiting_approval" and accepted.waiting_for == ["approval"]
    with pytest.raises(ConflictError):
        service.accept(rid, REQUESTER, {"consequences": ALL})
    service.approve(rid, APPROVER, {})
    done = service.approve(rid, APPROVER_2, {})
    assert done.state == "granted" and done.grant_ends_at is not None


def test_an_approver_may_narrow_but_never_widen(service: RequestService) -> None:
    rid = submit(service, "scoped_admin")
    with pytest.raises(ValidationError) as caught:
        service.approve(rid, APPROVER, {"duration_hours": 12})
    assert caught.value.errors[0].field == "duration_hours"
    with pytest.raises(ValidationError) as caught:
        service.approve(rid, APPROVER, {"systems": ["db-01"]})
    assert "db-01" in caught.value.errors[0].problem
    service.approve(rid, APPROVER, {"duration_hours": 4, "systems": ["app-01"]})
    approved = service.approve(rid, APPROVER_2, {"duration_hours": 2})
    assert approved.grant.to_dict() == {"duration_hours": 2.0, "systems": ["app-01"]}
    done = service.accept(rid, REQUESTER, {"consequences": ALL})  # the narrowed grant holds
    assert done.grant.to_dict() == {"duration_hours": 2.0, "systems": ["app-01"]}
    assert done.grant_ends_at == NOW + timedelta(hours=2)


def test_reject_and_revoke_need_a_reason(service: RequestService) -> None:
    rid = submit(service, "scoped_admin")
    with pytest.raises(ValidationError):
        service.reject(rid, APPROVER, {})
    assert service.reject(rid, APPROVER, {"reason": "not now"}).state == "rejected"
    granted = submit(service, "read_only")
    with pytest.raises(ValidationError):
        service.revoke(granted, ENGINEER, {})
    revoked = service.revoke(granted, ENGINEER, {"reason": "incident closed"})
    assert revoked.state == "revoked" and revoked.grant_ends_at == NOW
    with pytest.raises(ForbiddenError):
        service.revoke(submit(service, "read_only"), Principal("mallory", "customer", "acme"),
                       {"reason": "x"})


def test_withdraw_closes_open_requests_only(service: RequestService) -> None:
    rid = submit(service)
    assert service.withdraw(rid, REQUESTER, None).state == "withdrawn"
    with pytest.raises(ConflictError) as caught:
        service.withdraw(rid, REQUESTER, {})
    assert caught.value.state == "withdrawn"


@pytest.mark.parametrize("action", ["accept", "choose", "approve", "reject", "withdraw",
                                    "revoke"])
def test_invalid_transitions_are_conflicts_naming_the_state(
    service: RequestService, action: str
) -> None:
    rid = submit(service, "data_export")  # denied: a final state
    assert ("denied", action) not in TRANSITIONS
    who = APPROVER if action in ("approve", "reject") else REQUESTER
    body = {"accept": {"consequences": ALL}, "choose": {"alternative": "software_portal"},
            "reject": {"reason": "r"}, "revoke": {"reason": "r"}}.get(action, {})
    with pytest.raises(ConflictError) as caught:
        getattr(service, action)(rid, who, body)
    assert caught.value.state == "denied"


def test_grants_expire_by_sweep_and_on_read(service: RequestService) -> None:
    swept = submit(service, "read_only", duration_hours=1)
    read = submit(service, "read_only", duration_hours=2)
    later = NOW + timedelta(hours=1)
    assert service.expire_due(later) == [swept]
    assert service.get(swept, ENGINEER).state == "expired"
    assert service.get(read, ENGINEER, now=later).state == "granted"
    expired = service.get(read, ENGINEER, now=NOW + timedelta(hours=3))
    assert expired.state == "expired"
    assert expired.events[-1].actor == "gatekeeper" and expired.events[-1].action == "expire"
    assert service.expire_due(NOW + timedelta(days=1)) == []


def test_idempotency_key_replays_and_refuses_another_body(service: RequestService) -> None:
    body = request_body()
    first = service.submit(body, REQUESTER, "retry-1")
    again = service.submit(dict(reversed(list(body.items()))), REQUESTER, "retry-1")
    assert again.replayed and again.request_id == first.request_id
    assert again.body == first.body and again.status == 201
    assert service.ledger.count() == 1  # type: ignore[attr-defined]
    with pytest.raises(ValidationError) as caught:
        service.submit(request_body(duration_hours=2), REQUESTER, "retry-1")
    assert caught.value.errors[0].field == "Idempotency-Key"
    other = service.submit(body, APPROVER, "retry-1")  # keys are per requester
    assert other.request_id != first.request_id
    with pytest.raises(ValidationError):
        service.submit(body, REQUESTER, "bad key with spaces")


def test_listing_filters_and_customers_see_their_own(service: RequestService) -> None:
    ids = [submit(service, a) for a in ("read_only", "full_admin", "scoped_admin")]
    service.submit(request_body(customer="globex"), OTHER_CUSTOMER)
    page = service.search(ENGINEER, {"state": ["granted,awaiting_approval"]})
    assert {r.id for r in page.items} == {ids[0], ids[2]}
    assert len(service.search(ENGINEER, {}).items) == 4
    assert len(service.search(REQUESTER, {}).items) == 3
    assert service.search(REQUESTER, {"customer": "globex"}).items == ()
    with pytest.raises(ValidationError) as caught:
        service.search(ENGINEER, {"state": "bogus", "limit": "0", "created_from": "yesterday",
                                  "colour": "red"})
    assert {e.field for e in caught.value.errors} == {"state", "limit", "created_from", "colour"}
    with pytest.raises(NotFoundError):
        service.get(ids[0], OTHER_CUSTOMER)


def test_a_policy_failure_on_the_follow_up_records_nothing(ledger: SqlLedger) -> None:
    class Failing(CannedDecisions):
        def decide_request(self, request: Any, principal: Any, now: Any = None,
                           request_id: Any = None) -> Any:
            raise EngineError("the policy failed")

    failing = RequestService(Failing(), ledger, clock=lambda: NOW)
    rid = submit(failing)
    with pytest.raises(EngineError):
        failing.choose(rid, REQUESTER, {"alternative": "software_portal"})
    record = failing.get(rid, REQUESTER)
    assert record.state == "awaiting_acceptance" and record.follow_up_ids == ()
    assert [e.action for e in record.events] == ["submit", "decide"]
