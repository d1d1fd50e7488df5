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
                "revoke": Revoke("done")}
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
    assert first.approve(Approve(), APPROVER_2, NOW).to_state == lc.GRANTED


def test_an_approver_may_narrow_but_never_widen_the_grant() -> None:
    record = submitted("scoped_admin")
    change = record.approve(Approve(duration_hours=2, systems=("app-01",)), APPROVER, NOW)
    assert change.grant == Grant(2.0, ("app-01",))
    assert change.event.details["narrowed"] == {"duration_hours": 2.0, "systems": ["app-01"]}
    with pytest.raises(ValidationError) as caught:
        record.approve(Approve(duration_hours=9, systems=("db-01",)), APPROVER, NOW)
    assert [e.field for e in caught.value.errors] == ["duration_hours", "systems"]


def test_choosing_links_a_follow_up_whose_decision_is_a_valid_decision() -> None:
    record = submitted("full_admin")
    with pytest.raises(ValidationError) as caught:
        record.choose(Choose("nothing_like_it"), REQUESTER, NOW)
    assert "offered: software_portal" in caught.value.errors[0].problem
    change = record.choose(Choose("msp_standard_change"), REQUESTER, NOW, follow_up_id="f-1")
    follow = change.follow_up
    assert change.to_state == lc.FULFILLED_BY_ALTERNATIVE and follow is not None
    assert change.event.details == {"alternative_id": "msp_standard_change",
                                    "follow_up_id": "f-1"}
    assert follow.parent_id == record.id and follow.state == lc.GRANTED
    assert follow.request.access == "none"
    assert follow.request.start == NOW + timedelta(hours=8)  # the alternative's lead time
    decision = follow.decision
    assert decision.chosen_alternative is not None
    assert decision.chosen_alternative.id == "msp_standard_change"
    assert decision.parent_decision_id == record.decision.decision_id
    assert Decision.from_dict(decision.to_dict()) == decision


def test_a_follow_up_without_the_policys_approval_fails_safe() -> None:
    record = submitted("full_admin")
    follow = record.choose(Choose("legacy_alternative"), REQUESTER, NOW).follow_up
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
