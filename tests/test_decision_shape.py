"""Decision.from_policy: every malformed answer fails closed with its message; to_dict's shape."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import fields, replace
from typing import Any

import pytest

from gatekeeper.domain import Decision, PolicyError, PolicyRef
from gatekeeper.domain.decision import Alternative, Condition, Consequence, Escalation

REF = PolicyRef("sha256:abc", "test")


def answer() -> dict[str, Any]:
    """A well-formed policy answer with every kind of element and extra keys in odd places."""
    return {
        "outcome": "needs_approval",
        "summary": "Full admin needs approval.",
        "consequences": [
            {"summary": "24 h downtime", "id": "downtime", "zeta": 1, "kind": "downtime",
             "rule": "r.cons", "severity": "critical", "downtime_hours": 24},
            {"id": "sla", "kind": "sla", "severity": "high", "summary": "SLA", "rule": "r.sla"},
        ],
        "alternatives": [
            {"rank": 1, "id": "portal", "title": "Portal", "summary": "Use the portal",
             "lead_time_hours": 0, "downtime_hours": 0, "why": "fast", "rule": "r.alt",
             "approval": {"required": False, "roles": [], "count": 0}, "access": "none"},
            {"id": "session", "title": "Session", "summary": "Supervised", "rule": "r.alt",
             "lead_time_hours": 2, "downtime_hours": 0, "rank": 2, "why": "careful"},
        ],
        "conditions": [{"id": "time_box", "summary": "4 h", "rule": "r.tb", "ends_at": "x"}],
        "approval": {"required": True, "roles": ["approver"], "count": 1},
        "escalations": [{"rule": "r.esc", "id": "sec", "contact": {"name": "Dana"},
                         "reason": "data export"}],
        "reasons": [{"rule": "r.cons", "code": "GK-1", "message": "m1"},
                    {"rule": "r.sla", "code": "GK-2", "message": "m2", "extra": True}],
        "unknown_top_level": "ignored",
    }


def changed(change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    raw = answer()
    change(raw)
    return raw


# Messages as the policy contract has always worded them (checked before any optimisation).
MALFORMED: dict[str, tuple[Any, str]] = {
    "none": (None, "data.gatekeeper.decision is undefined or not an object"),
    "list": ([], "data.gatekeeper.decision is undefined or not an object"),
    "no outcome": (changed(lambda r: r.pop("outcome")),
                   "outcome None is not one of allow, allow_with_consequences, needs_approval, "
                   "deny"),
    "bad outcome": (changed(lambda r: r.update(outcome="maybe")),
                    "outcome 'maybe' is not one of allow, allow_with_consequences, "
                    "needs_approval, deny"),
    "no summary": (changed(lambda r: r.pop("summary")), "summary must be a non-empty string"),
    "empty summary": (changed(lambda r: r.update(summary="")),
                      "summary must be a non-empty string"),
    "approval list": (changed(lambda r: r.update(approval=[1])), "approval must be an object"),
    "approval count text": (changed(lambda r: r["approval"].update(count="two")),
                            "approval.count must be a whole number >= 0, not 'two'"),
    "approval count fraction": (changed(lambda r: r["approval"].update(count=1.5)),
                                "approval.count must be a whole number >= 0, not 1.5"),
    "approval roles text": (changed(lambda r: r["approval"].update(roles="approver")),
                            "approval.roles must be a list of role names"),
    "reasons not a list": (changed(lambda r: r.update(reasons="x")), "reasons must be a list"),
    "reason lacks a key": (changed(lambda r: r["reasons"].append({"rule": "x", "code": "y"})),
                           "reasons[2] needs rule, code and message"),
    "reason not an object": (changed(lambda r: r["reasons"].insert(0, "x")),
                             "reasons[0] needs rule, code and message"),
    "consequences a tuple": (changed(lambda r: r.update(consequences=tuple(r["consequences"]))),
                             "consequences must be a list"),
    "consequence a string": (changed(lambda r: r["consequences"].append("x")),
                             "consequences[2] must be an object"),
    "consequence lacks": (changed(lambda r: r["consequences"].append({"id": "x"})),
                          "consequences[2] lacks kind, severity, summary, rule"),
    "consequence lacks one": (changed(lambda r: r["consequences"][0].pop("severity")),
                              "consequences[0] lacks severity"),
    "alternative lacks": (changed(lambda r: r["alternatives"].__setitem__(
        1, {"rank": 1, "rule": "r"})),
        "alternatives[1] lacks id, title, summary, lead_time_hours, downtime_hours, why"),
    "alternative None": (changed(lambda r: r["alternatives"].append(None)),
                         "alternatives[2] must be an object"),
    "alternatives None": (changed(lambda r: r.update(alternatives=None)),
                          "alternatives must be a list"),
    "condition lacks": (changed(lambda r: r.update(conditions=[{"id": "c"}])),
                        "conditions[0] lacks summary, rule"),
    "escalation lacks": (changed(lambda r: r.update(escalations=[{"id": "c", "rule": "x"}])),
                         "escalations[0] lacks contact, reason"),
    "flat denial": ({"outcome": "deny", "summary": "no", "alternatives": [], "escalations": []},
                    "outcome deny offers no alternative and names no contact"),
    # Several problems at once: the first in the order the checks have always run.
    "reasons before elements": (changed(lambda r: (r.update(reasons="x"),
                                                   r["consequences"].append(1))),
                                "reasons must be a list"),
    "consequences before alternatives": (changed(lambda r: (r["alternatives"].append(1),
                                                            r["consequences"].append(1))),
                                         "consequences[2] must be an object"),
    "conditions before escalations": (changed(lambda r: (r["escalations"].append(1),
                                                         r["conditions"].append(1))),
                                      "conditions[1] must be an object"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_answer_fails_closed_with_its_message(name: str) -> None:
    raw, message = MALFORMED[name]
    with pytest.raises(PolicyError) as caught:
        Decision.from_policy(raw, "d-1", REF)
    assert caught.value.detail == message
    assert str(caught.value) == message


def test_to_dict_keeps_its_shape() -> None:
    decision = Decision.from_policy(answer(), "d-1", REF)
    out = decision.to_dict()
    assert list(out) == ["decision_id", "outcome", "summary", "consequences", "alternatives",
                         "conditions", "approval", "escalations", "next_steps", "reasons", "policy"]
    # Each element: its required keys in their fixed order, then the others in policy order.
    assert list(out["consequences"][0]) == ["id", "kind", "severity", "summary", "rule",
                                            "zeta", "downtime_hours"]
    assert list(out["alternatives"][0]) == ["id", "title", "summary", "lead_time_hours",
                                            "downtime_hours", "rank", "why", "rule",
                                            "approval", "access"]
    assert list(out["escalations"][0]) == ["id", "contact", "reason", "rule"]
    assert out["reasons"][1] == {"rule": "r.sla", "code": "GK-2", "message": "m2"}
    assert out["approval"] == {"required": True, "roles": ["approver"], "count": 1}
    assert out["policy"] == {"revision": "sha256:abc", "engine": "test"}
    assert "unknown_top_level" not in out
    assert json.dumps(Decision.from_dict(out).to_dict()) == json.dumps(out)


def test_to_dict_is_a_fresh_dict_each_time() -> None:
    decision = Decision.from_policy(answer(), "d-1", REF)
    first = decision.to_dict()
    first["consequences"][0]["id"] = "changed"
    first["alternatives"].clear()
    again = decision.to_dict()
    assert again["consequences"][0]["id"] == "downtime" and len(again["alternatives"]) == 2
    element = decision.consequences[0]
    element.to_dict()["kind"] = "changed"
    assert element.kind == "downtime" and element["kind"] == "downtime"


def test_the_policy_answer_is_not_changed() -> None:
    raw = answer()
    Decision.from_policy(raw, "d-1", REF)
    assert raw == answer()


def test_parsed_elements_are_the_dataclasses_they_always_were() -> None:
    decision = Decision.from_policy(answer(), "d-1", REF)
    consequence = decision.consequences[0]
    assert consequence == Consequence(id="downtime", rule="r.cons", kind="downtime",
                                      severity="critical", summary="24 h downtime",
                                      details={"zeta": 1, "downtime_hours": 24})
    assert consequence.details == {"zeta": 1, "downtime_hours": 24}
    assert consequence["downtime_hours"] == 24 and consequence.get("nope", 7) == 7
    assert decision.alternatives[1].rank == 2 and decision.alternatives[1].details == {}
    assert decision.escalations[0].contact == {"name": "Dana"}
    assert repr(decision.conditions[0]) == (
        "Condition(id='time_box', rule='r.tb', details={'ends_at': 'x'}, summary='4 h')")
    # Made by the constructor (no cached dict) or by replace(): the same to_dict.
    built = Consequence(**{f.name: getattr(consequence, f.name) for f in fields(consequence)})
    assert built.to_dict() == consequence.to_dict()
    assert list(built.to_dict()) == list(consequence.to_dict())
    assert replace(consequence, severity="low").to_dict()["severity"] == "low"


@pytest.mark.parametrize("kind", [Consequence, Alternative, Condition, Escalation])
def test_every_element_field_is_required_or_details(kind: type[Any]) -> None:
    """Parsing fills exactly these fields, bypassing __init__: a new field must be required."""
    assert [f.name for f in fields(kind) if f.name != "details"] == sorted(
        kind.required, key=[f.name for f in fields(kind)].index)
    assert set(kind.required) | {"details"} == {f.name for f in fields(kind)}


class _Answer(Mapping[str, Any]):
    """A policy answer that is a Mapping but not a dict (engines may hand such back)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def test_mappings_that_are_not_dicts_are_accepted() -> None:
    raw = copy.deepcopy(answer())
    raw["consequences"] = [_Answer(c) for c in raw["consequences"]]
    raw["reasons"] = [_Answer(r) for r in raw["reasons"]]
    decision = Decision.from_policy(_Answer(raw), "d-1", REF)
    assert decision.to_dict() == Decision.from_policy(answer(), "d-1", REF).to_dict()
    broken = copy.deepcopy(answer())
    broken["consequences"] = [_Answer({"id": "x", "rule": "r"})]
    with pytest.raises(PolicyError, match=r"consequences\[0\] lacks kind, severity, summary$"):
        Decision.from_policy(broken, "d-1", REF)
