"""The expectation matcher used by example replays and ``gatekeeper check``."""

from __future__ import annotations

from gatekeeper.engine.expectations import example_input, mismatches

DECISION = {
    "outcome": "allow_with_consequences",
    "approval": {"required": False, "roles": ["approver", "security"], "count": 1},
    "consequences": [
        {"id": "reprovision", "kind": "downtime", "downtime_hours": 24.0},
        {"id": "sla", "kind": "sla", "sla_breached": False},
    ],
    "escalations": [],
}


def test_a_matching_subset_has_no_mismatches() -> None:
    expected = {
        "outcome": "allow_with_consequences",
        "approval": {"roles": ["security"]},
        "consequences": [{"id": "reprovision", "downtime_hours": 24}],
        "escalations": [],
    }
    assert mismatches(expected, DECISION) == []
    assert mismatches({}, DECISION) == []


def test_each_difference_is_named_in_plain_words() -> None:
    expected = {
        "outcome": "deny",
        "summary": "x",
        "approval": {"required": True, "roles": ["owner"]},
        "consequences": [{"id": "reprovision", "downtime_hours": 8}, {"id": "cost"}],
        "alternatives": [],
        "escalations": [{"id": "security"}],
    }
    assert mismatches(expected, DECISION) == [
        "outcome: expected 'deny', got 'allow_with_consequences'",
        "summary: missing (expected 'x')",
        "approval.required: expected true, got false",
        "approval.roles: expected item 0 ('owner') is missing",
        "consequences[id=reprovision].downtime_hours: expected 8, got 24.0",
        "consequences: no item with id 'cost' (ids present: reprovision, sla)",
        "alternatives: missing (expected a list of 0)",
        "escalations: no item with id 'security' (ids present: none)",
    ]


def test_booleans_never_equal_numbers_and_empty_lists_mean_empty() -> None:
    assert mismatches({"a": True}, {"a": 1}) == ["a: expected true, got 1"]
    assert mismatches({"a": 0}, {"a": False}) == ["a: expected 0, got false"]
    assert mismatches({"a": []}, {"a": [1, 2]}) == ["a: expected none, got 2"]
    assert mismatches({"a": [1]}, {"a": "x"}) == ["a: expected a list, got 'x'"]
    assert mismatches({"a": {"b": 1}}, {"a": None}) == ["a: expected an object, got null"]
    assert mismatches({"a": None}, {"a": None}) == []


def test_items_without_ids_match_any_item_containing_them() -> None:
    actual = {"reasons": [{"rule": "r.a", "code": "A"}, {"rule": "r.b", "code": "B"}]}
    assert mismatches({"reasons": [{"code": "B"}]}, actual) == []
    assert mismatches({"reasons": [{"code": "C"}]}, actual) == [
        "reasons: expected item 0 (an object) is missing"
    ]


def test_example_input_defaults_start_to_now_and_context_to_empty_lists() -> None:
    spec = {
        "now": "2026-11-23T15:00:00Z",
        "identity": {"subject": "a@x", "role": "customer", "organisation": "acme"},
        "request": {"customer": "acme", "access": "read_only"},
        "expect": {"outcome": "allow"},
    }
    assert example_input(spec) == {
        "request": {"customer": "acme", "access": "read_only", "start": "2026-11-23T15:00:00Z"},
        "identity": {"subject": "a@x", "role": "customer", "organisation": "acme"},
        "now": "2026-11-23T15:00:00Z",
        "context": {"sla_downtime": [], "overlapping": []},
    }
    spec["request"] = {"start": "2026-12-01T00:00:00Z"}
    assert example_input(spec)["request"]["start"] == "2026-12-01T00:00:00Z"
    spec["context"] = {"overlapping": [{"request_id": "r"}]}
    assert example_input(spec)["context"] == {"sla_downtime": [],
                                              "overlapping": [{"request_id": "r"}]}
