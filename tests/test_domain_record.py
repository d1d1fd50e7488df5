"""The request lifecycle as pure domain code: no database, no engine, no Flask."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from gatekeeper.domain import (
    Change,
    ConflictError,
    Decision,
    ForbiddenError,
    Grant,
    RequestRecord,
    ValidationError,
)
from gatekeeper.domain import lifecycle as lc
from gatekeeper.domain.commands import (
    Accept,
    Approve,
    Choose,
    Extend,
    Reject,
    Revoke,
    Withdraw,
)
from gatekeeper.domain.request import AccessRequest
from gatekeeper.domain.roles import ADMIN
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


def decided(record: RequestRecord, alternative: str) -> Decision:
    """The policy's (canned) decision on the follow-up that takes ``alternative``."""
    request = record.follow_up_request(Choose(alternative), REQUESTER, NOW)
    return CannedDecisions().decide_request(request, REQUESTER, NOW)


def submitted(access: str = "full_admin", **overrides: object) -> RequestRecord:
    request, decision = CannedDecisions().decide(request_body(access, **overrides), REQUESTER)
    return RequestRecord.submitted("r-1", request, decision, REQUESTER, NOW)


def apply(record: RequestRecord, change: Change) -> RequestRecord:
    """What the ledger does with a change, enough for a second step."""
    return replace(record, state=change.to_state, grant=change.grant or record.grant,
                   events=(*record.events, change.event))


def test_the_outcome_sets_the_first_state_and_both_first_events() -> None:
    for access, state in (("read_only", lc.GRANTED), ("full_admin", lc.AWAITING_ACCEPTANCE),
                          ("scoped_admin", lc.AWAITING_APPROVAL), ("data_export", lc.DENIED)):
        record = submitted(access)
        assert record.state == state
        assert [(e.action, e.to_state) for e in record.events] == [
            ("submit", lc.SUBMITTED), ("decide", state)]
    granted = submitted("read_only", start="2026-11-24T08:00:00Z", duration_hours=2)
    assert granted.grant_starts_at == datetime(2026, 11, 24, 8, tzinfo=UTC)
    assert granted.grant_ends_at == datetime(2026, 11, 24, 10, tzinfo=UTC)


def test_every_action_outside_the_table_is_a_conflict_naming_the_state() -> None:
    commands = {"accept": Accept(tuple(ALL)), "choose": Choose("software_portal"),
                "approve": Approve(), "reject": Reject("no"), "withdraw": Withdraw(),
                "revoke": Revoke("done"), "extend": Extend(2)}
    for state in lc.STATES:
        record = replace(submitted("scoped_admin"), state=state)
        for action, command in commands.items():
            if (state, action) in lc.TRANSITIONS:
                continue
            who = APPROVER if action in ("approve", "reject") else REQUESTER
            with pytest.raises(ConflictError) as caught:
                record.handle(command, who, NOW)
            assert caught.value.state == state
            assert f"cannot {action} a request that is {state}" in caught.value.detail


def test_accepting_needs_every_consequence_and_only_the_requester() -> None:
    record = submitted("full_admin")
    with pytest.raises(ValidationError) as caught:
        record.accept(Accept(("sla_budget", "made_up")), REQUESTER, NOW)
    assert [e.field for e in caught.value.errors] == ["consequences.1", "consequences"]
    with pytest.raises(ForbiddenError):
        record.accept(Accept(tuple(ALL)), ENGINEER, NOW)
    change = record.accept(Accept(tuple(ALL)), REQUESTER, NOW)
    assert change.to_state == lc.GRANTED and change.grant_starts_at == NOW
    assert change.event.details == {"consequences": sorted(ALL)}
    admin = replace(ENGINEER, subject="root@msp.example", role=ADMIN)
    assert record.accept(Accept(tuple(ALL)), admin, NOW).to_state == lc.GRANTED


def test_acceptance_and_approval_both_count_in_either_order() -> None:
    record = submitted("break_glass")  # consequences to accept and one approval
    after_accept = apply(record, record.accept(Accept(tuple(ALL)), REQUESTER, NOW))
    assert after_accept.state == lc.AWAITING_APPROVAL
    assert after_accept.approve(Approve(), APPROVER, NOW).to_state == lc.GRANTED


def test_a_requester_never_approves_their_own_and_roles_come_from_the_decision() -> None:
    record = submitted("scoped_admin")  # two approvers of the role approver
    own = replace(record, requester_subject=APPROVER.subject)
    with pytest.raises(ForbiddenError, match="their own request"):
        own.approve(Approve(), APPROVER, NOW)
    with pytest.raises(ForbiddenError, match="needs the role approver"):
        record.approve(Approve(), ENGINEER, NOW)
    first = apply(record, record.approve(Approve(), APPROVER, NOW))
    assert first.state == lc.AWAITING_APPROVAL and first.approvers == [APPROVER.subject]
    with pytest.raises(ConflictError, match="already approved"):
        first.approve(Approve(), APPROVER, NOW)
    second = apply(first, first.approve(Approve(), APPROVER_2, NOW))
    # every approval is given, but the requester has not accepted the consequences yet
    assert second.state == lc.AWAITING_ACCEPTANCE and second.waiting_for == [lc.ACCEPTANCE]
    assert second.accept(Accept(tuple(ALL)), REQUESTER, NOW).to_state == lc.GRANTED


def test_approval_first_leaves_the_grant_to_the_requesters_acceptance() -> None:
    record = submitted("break_glass")  # consequences to accept and one approval
    assert record.waiting_for == [lc.ACCEPTANCE, lc.APPROVAL]
    approved = apply(record, record.approve(Approve(), APPROVER, NOW))
    assert approved.state == lc.AWAITING_ACCEPTANCE and approved.waiting_for == [lc.ACCEPTANCE]
    assert "approve" not in approved.allowed_actions and "reject" not in approved.allowed_actions
    with pytest.raises(ConflictError, match="no longer waits for approval"):
        approved.approve(Approve(), APPROVER_2, NOW)
    assert approved.accept(Accept(tuple(ALL)), REQUESTER, NOW).to_state == lc.GRANTED


def test_a_needs_approval_answer_with_consequences_is_accepted_while_it_waits() -> None:
    record = submitted("scoped_admin")  # needs two approvals and has consequences
    assert record.state == lc.AWAITING_APPROVAL
    assert record.waiting_for == [lc.ACCEPTANCE, lc.APPROVAL]
    assert record.allowed_actions == ["accept", "choose", "approve", "reject", "withdraw"]
    accepted = apply(record, record.accept(Accept(tuple(ALL)), REQUESTER, NOW))
    assert accepted.state == lc.AWAITING_APPROVAL and accepted.waiting_for == [lc.APPROVAL]
    with pytest.raises(ConflictError, match="no longer waits for acceptance"):
        accepted.accept(Accept(tuple(ALL)), REQUESTER, NOW)
    once = apply(accepted, accepted.approve(Approve(), APPROVER, NOW))
    assert once.state == lc.AWAITING_APPROVAL
    assert once.approve(Approve(), APPROVER_2, NOW).to_state == lc.GRANTED


def test_an_approver_may_narrow_but_never_widen_the_grant() -> None:
    record = submitted("scoped_admin")
    change = record.approve(Approve(duration_hours=2, systems=("app-01",)), APPROVER, NOW)
    assert change.grant == Grant(2.0, ("app-01",))
    assert change.event.details["narrowed"] == {"duration_hours": 2.0, "systems": ["app-01"]}
    with pytest.raises(ValidationError) as caught:
        record.approve(Approve(duration_hours=9, systems=("db-01",)), APPROVER, NOW)
    assert [e.field for e in caught.value.errors] == ["duration_hours", "systems"]


def test_choosing_links_a_follow_up_with_its_own_decision() -> None:
    record = submitted("full_admin")
    with pytest.raises(ValidationError) as caught:
        record.follow_up_request(Choose("nothing_like_it"), REQUESTER, NOW)
    assert "offered: software_portal" in caught.value.errors[0].problem
    own = decided(record, "msp_standard_change")
    change = record.choose(Choose("msp_standard_change"), REQUESTER, NOW, own,
                           follow_up_id="f-1")
    follow = change.follow_up
    assert change.to_state == lc.FULFILLED_BY_ALTERNATIVE and follow is not None
    assert change.event.details == {"alternative_id": "msp_standard_change",
                                    "follow_up_id": "f-1",
                                    "follow_up_decision_id": own.decision_id}
    assert follow.parent_id == record.id and follow.state == lc.GRANTED
    assert follow.request.access == "none" and follow.request.alternative == "msp_standard_change"
    assert follow.request.start == NOW + timedelta(hours=8)  # the alternative's lead time
    decision = follow.decision
    # the follow-up's own answer: not the parent's consequences or conditions
    assert decision.decision_id == own.decision_id and decision.policy.revision == "rev-2"
    assert decision.consequences == () and follow.waiting_for == []
    assert [c.id for c in decision.conditions] == ["alternative_terms"]
    assert [s.summary for s in decision.next_steps] == ["go to msp_standard_change"]
    assert decision.chosen_alternative is not None
    assert decision.chosen_alternative.id == "msp_standard_change"
    assert decision.parent_decision_id == record.decision.decision_id
    assert Decision.from_dict(decision.to_dict()) == decision
    assert [e.action for e in follow.events] == ["submit", "decide"]
    assert follow.events[1].details["parent_id"] == record.id


def test_a_follow_up_is_never_recorded_without_a_decision_of_its_own() -> None:
    record = submitted("full_admin")
    with pytest.raises(ValueError, match="decision of its own"):
        record.choose(Choose("software_portal"), REQUESTER, NOW, None)
    with pytest.raises(ValueError, match="decision of its own"):
        record.choose(Choose("software_portal"), REQUESTER, NOW, record.decision)


def test_a_follow_up_without_the_policys_approval_fails_safe() -> None:
    record = submitted("full_admin")
    follow = record.choose(Choose("legacy_alternative"), REQUESTER, NOW,
                           decided(record, "legacy_alternative")).follow_up
    assert follow is not None and follow.state == lc.AWAITING_APPROVAL
    assert follow.decision.approval.to_dict() == {"required": True, "roles": ["approver"],
                                                  "count": 1}


def test_revoking_withdrawing_and_rejecting_check_who_asks() -> None:
    granted = submitted("read_only")
    with pytest.raises(ForbiddenError):
        granted.handle(Revoke("mine now"), OTHER_CUSTOMER, NOW)
    for who in (REQUESTER, ENGINEER):
        change = granted.handle(Revoke("done"), who, NOW)
        assert change.to_state == lc.REVOKED and change.grant_ends_at == NOW
    waiting = submitted("scoped_admin")
    with pytest.raises(ForbiddenError):
        waiting.handle(Withdraw(), ENGINEER, NOW)
    assert waiting.handle(Withdraw(), REQUESTER, NOW).to_state == lc.WITHDRAWN
    with pytest.raises(ForbiddenError):
        waiting.handle(Reject("no"), REQUESTER, NOW)
    assert waiting.handle(Reject("no"), APPROVER, NOW).event.reason == "no"


def test_expiry_only_after_the_time_box() -> None:
    granted = submitted("read_only", duration_hours=1)
    with pytest.raises(ConflictError, match="has not ended"):
        granted.expire(NOW)
    assert granted.expire(NOW + timedelta(hours=1)).to_state == lc.EXPIRED


def test_commands_name_each_bad_field() -> None:
    with pytest.raises(ValidationError) as caught:
        Accept.from_body({"consequences": ["ok", ""], "extra": 1})
    assert [e.field for e in caught.value.errors] == ["extra"]
    with pytest.raises(ValidationError) as caught:
        Accept.from_body({"consequences": ["ok", " "]})
    assert [e.field for e in caught.value.errors] == ["consequences.1"]
    with pytest.raises(ValidationError, match="reason"):
        Reject.from_body({})
    assert Approve.from_body(None) == Approve()
    assert Approve.from_body({"duration_hours": 2, "systems": ["a "]}) == Approve(2.0, ("a",))


def test_a_customer_sees_only_its_own_organisation() -> None:
    record = submitted("read_only")
    assert record.visible_to(REQUESTER) and record.visible_to(ENGINEER)
    assert not record.visible_to(OTHER_CUSTOMER)


def test_a_stored_request_round_trips() -> None:
    request = submitted("read_only", start="2026-11-24T08:00:00Z").request
    assert AccessRequest.from_stored(request.to_dict()) == request
