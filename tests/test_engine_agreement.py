"""How ``gatekeeper check``'s engines step words a difference, and which requests it samples."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gatekeeper.engine import load_bundle
from gatekeeper.policyci.engine_agreement import describe, synthetic_samples
from tests.cli_helpers import ROOT

_ANSWER = {
    "outcome": "needs_approval",
    "summary": "s",
    "consequences": [{"id": "reprovisioning_downtime"}, {"id": "sla_budget"}],
    "reasons": [{"code": "GK-RPV-001"}],
}


def test_a_dropped_consequence_and_a_looser_outcome_are_both_named() -> None:
    looser = dict(_ANSWER, outcome="allow_with_consequences",
                  consequences=[{"id": "reprovisioning_downtime"}])
    text = describe(("value", _ANSWER), ("value", looser), "regorus-rvm")
    assert text == (
        "regorus vs regorus-rvm: consequences ['reprovisioning_downtime', 'sla_budget'] vs "
        "['reprovisioning_downtime']; outcome 'needs_approval' vs 'allow_with_consequences'"
    )


def test_same_ids_with_other_content_and_errors_on_either_side() -> None:
    reworded = dict(_ANSWER, consequences=[{"id": "reprovisioning_downtime", "x": 1},
                                           {"id": "sla_budget"}])
    assert describe(("value", _ANSWER), ("value", reworded), "regopy") == (
        "regorus vs regopy: consequences differ in content")
    assert describe(("error", "engine_error: boom"), ("value", _ANSWER), "regorus-rvm") == (
        "regorus fails closed (engine_error: boom) where regorus-rvm answers 'needs_approval'")
    assert describe(("value", _ANSWER), ("error", "engine_error: x"), "regopy") == (
        "regopy fails (engine_error: x) where regorus answers 'needs_approval'")
    assert describe(("error", "a"), ("error", "b"), "regopy") == ""  # both fail closed


def test_synthetic_samples_are_valid_requests_around_today_and_repeatable() -> None:
    data = load_bundle(ROOT / "policies").data
    today = datetime(2027, 3, 15, 13, 30, tzinfo=UTC)
    first = list(synthetic_samples(data, 50, today))
    assert first == list(synthetic_samples(data, 50, today))  # seeded
    assert 40 <= len(first) <= 50
    for sample in first:
        assert sample.input["request"]["customer"] in data["customers"]
        assert "2027-02-13" <= sample.input["now"] <= "2027-05-15"
        assert sample.label.startswith("synthetic request ")
    assert list(synthetic_samples(data, 0, today)) == []


def test_a_bundle_without_customers_has_no_synthetic_requests_and_says_why() -> None:
    with pytest.raises(ValueError, match="no customers"):
        list(synthetic_samples({"catalog": {}}, 10, datetime(2027, 1, 1, tzinfo=UTC)))
