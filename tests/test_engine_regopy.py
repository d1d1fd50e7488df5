"""regopy-specific behaviour: safe native load order, and syntax rego-cpp rejects is reported
cleanly at construction."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatekeeper.domain.errors import EngineError
from gatekeeper.engine import create_engine, load_bundle
from gatekeeper.engine.native import regopy_load_order_problem

# Valid Rego v1 that regorus (and OPA) accept but rego-cpp 1.5 does not parse.
EVERY_AS_BODY = """package gatekeeper

import rego.v1

all_positive if every x in input.numbers { x > 0 }

decision := {"outcome": "allow"} if all_positive
"""


def test_regopy_is_loaded_safely_in_this_process() -> None:
    """rego-cpp must load before libstdc++ (greenlet via structlog/SQLAlchemy brings it in)."""
    problem = regopy_load_order_problem()
    assert problem is None, problem


def test_syntax_rego_cpp_rejects_fails_construction_with_a_location(tmp_path: Path) -> None:
    (tmp_path / "gatekeeper").mkdir()
    (tmp_path / "gatekeeper" / "decision.rego").write_text(EVERY_AS_BODY)
    bundle = load_bundle(tmp_path, schema_dir=None)
    assert create_engine("regorus", bundle).evaluate({"numbers": [1]}) == {"outcome": "allow"}
    if regopy_load_order_problem():
        pytest.skip("regopy loaded after libstdc++ in this process")
    with pytest.raises(EngineError) as caught:
        create_engine("regopy", bundle)
    assert "gatekeeper/decision.rego:5" in str(caught.value)
