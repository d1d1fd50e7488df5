"""The report's security items come from the policy, and a policy that answers nonsense fails
the report instead of silently dropping or inventing items."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from gatekeeper.domain.errors import EngineError
from gatekeeper.engine import create_engine, load_bundle
from gatekeeper.service.security_order import SecurityOrder
from tests.test_ledger_contract import REQUEST, T0, make_record

POLICIES = Path(__file__).parent.parent / "policies"


def _order(root: Path = POLICIES) -> SecurityOrder:
    engine = create_engine("regorus", load_bundle(root))
    return SecurityOrder(lambda: engine)


def test_the_policy_picks_and_orders_the_items() -> None:
    glass = dataclasses.replace(REQUEST, access="break_glass")
    calm = make_record(T0)  # full admin, nothing escalated: not a security item
    late = make_record(T0 + timedelta(hours=2), request=glass)
    early = make_record(T0 + timedelta(hours=1), request=glass)
    dev = make_record(T0, environment="development", request=glass)
    ordered = _order().of("acme", [calm, late, early, dev])
    # production is critical to Acme, development is not; then the oldest first
    assert [r.id for r in ordered] == [early.id, late.id, dev.id]


def test_an_answer_that_is_not_this_months_ids_fails_closed(tmp_path: Path) -> None:
    root = tmp_path / "policies"
    shutil.copytree(POLICIES, root)
    rule = root / "gatekeeper" / "reports" / "security.rego"
    text = rule.read_text(encoding="utf-8")
    broken = text.replace("order := [id |", 'order := ["not-a-request"]\n\n_unused := [id |')
    rule.write_text(broken, encoding="utf-8")
    record = make_record(T0, request=dataclasses.replace(REQUEST, access="break_glass"))
    with pytest.raises(EngineError, match="did not give a list of this month's request ids"):
        _order(root).of("acme", [record])
