"""More time on a live grant as pure domain code: the policy's input and what its answer does."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from gatekeeper.domain import ConflictError, Decision, ForbiddenError, ValidationError
from gatekeeper.domain import lifecycle as lc
from gatekeeper.domain.commands import Extend
from gatekeeper.domain.roles import ADMIN
from tests.ledger_fixtures import ENGINEER, OTHER_CUSTOMER, REQUESTER, CannedDecisions
from tests.test_domain_record import NOW, submitted


def _answer(outcome: str) -> Decision:
    """A decision of its own on the extension, with ``outcome``."""
    _, decision = CannedDecisions().decide(
        {"customer": "acme", "environment": "production", "access": "read_only",
         "purpose": "troubleshooting", "need": "n", "justification": "j",
         "duration_hours": 2}, REQUESTER)
    approval = {"required": outcome == "needs_approval", "roles": ["approver"], "count": 1}
    return replace(decision, outcome=outcome,
                   approval=replace(decision.approval, required=approval["required"],
                                    count=1 if approval["required"] else 0))


def test_extend_is_a_transition_of_a_grant_only() -> None:
    assert lc.TRANSITIONS[(lc.GRANTED, "extend")] == (lc.GRANTED,)
    assert "extend" in submitted("read_only").allowed_actions
    assert [s for s in lc.STATES if (s, "extend") in lc.TRANSITIONS] == [lc.GRANTED]
    assert set(lc.EXTENSION_BY_OUTCOME) == set(lc.STATE_BY_OUTCOME)


def test_the_extension_is_decided_for_the_hours_after_the_grant() -> None:
    record = submitted("read_only", systems=["app-01"])
    assert record.grant_ends_at is not None
    request = record.extension_request(Extend(3), REQUESTER, max_hours=24)
    assert request.start == record.grant_ends_at
    assert request.duration_hours == 3
    assert (request.customer, request.access, request.systems) == (
        record.customer, record.request.access, ("app-01",))
    with pytest.raises(ValidationError) as caught:
        record.extension_request(Extend(25), REQUESTER, max_hours=24)
    assert [e.field for e in caught.value.errors] == ["hours"]


def test_only_the_requester_extends_and_an_admin_for_them() -> None:
    record = submitted("read_only")
    for stranger in (ENGINEER, OTHER_CUSTOMER, replace(REQUESTER, subject="mallory")):
        with pytest.raises(ForbiddenError):
            record.extension_request(Extend(1), stranger)
    admin = replace(ENGINEER, role=ADMIN)
    assert record.extension_request(Extend(1), admin).duration_hours == 1


def test_allow_moves_the_end_and_records_the_event() -> None:
    record = submitted("read_only")
    assert record.grant_ends_at is not None
    answer = _answer("allow")
    change = record.extend(Extend(2, "not done yet"), REQUESTER, NOW, answer)
    assert change.to_state == lc.GRANTED and change.follow_up is None
    assert change.grant_ends_at == record.grant_ends_at + timedelta(hours=2)
    assert change.grant is not None
    assert change.grant.duration_hours == record.grant.duration_hours + 2
    event = change.event
    assert (event.action, event.from_state, event.to_state, event.reason) == (
        "extend", lc.GRANTED, lc.GRANTED, "not done yet")
    assert event.details["outcome"] == "allow"
    assert event.details["decision_id"] == answer.decision_id
    after = record.after(change)
    assert after.grant_ends_at == change.grant_ends_at and after.state == lc.GRANTED


@pytest.mark.parametrize(("outcome", "state"), [
    ("needs_approval", lc.AWAITING_APPROVAL),
    ("allow_with_consequences", lc.AWAITING_ACCEPTANCE),
    ("deny", lc.DENIED),
])
def test_any_other_answer_is_carried_by_a_linked_request(outcome: str, state: str) -> None:
    record = submitted("read_only")
    change = record.extend(Extend(2), REQUESTER, NOW, _answer(outcome), "x-1")
    assert change.to_state == lc.GRANTED
    assert change.grant is None and change.grant_ends_at is None  # the grant stays
    linked = change.follow_up
    assert linked is not None and linked.id == "x-1" and linked.state == state
    assert linked.parent_id == record.id and linked.requester_subject == record.requester_subject
    assert linked.request.start == record.grant_ends_at and linked.request.duration_hours == 2
    assert change.event.details["follow_up_id"] == "x-1"
    assert record.after(change).follow_up_ids == ("x-1",)


def test_an_extension_needs_a_decision_of_its_own_and_a_grant() -> None:
    record = submitted("read_only")
    with pytest.raises(ValueError):
        record.extend(Extend(1), REQUESTER, NOW, None)
    with pytest.raises(ValueError):
        record.extend(Extend(1), REQUESTER, NOW, record.decision)
    waiting = submitted("full_admin")
    with pytest.raises(ConflictError) as caught:
        waiting.extend(Extend(1), REQUESTER, NOW, _answer("allow"))
    assert caught.value.state == lc.AWAITING_ACCEPTANCE


def test_the_command_names_hours() -> None:
    assert Extend.from_body({"hours": 2, "reason": "r"}) == Extend(2.0, "r")
    for bad in (None, {}, {"hours": 0}, {"hours": -3}, {"hours": "2"}, {"hours": False},
                {"hours": 1, "extra": 1}):
        with pytest.raises(ValidationError) as caught:
            Extend.from_body(bad)
        assert "hours" in [e.field for e in caught.value.errors] or "extra" in [
            e.field for e in caught.value.errors]
