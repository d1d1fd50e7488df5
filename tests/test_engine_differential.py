"""regorus-rvm (compiled) must answer byte for byte as the regorus interpreter (the reference),
and so must the interpreter without the bundle views.

~2,000 realistic synthetic requests (seeded, so every run sees the same ones) plus a few
hundred edge cases go through the same path as the service (``AccessRequest`` validation and
``build_input``); the first disagreement is reported in full. The RVM-specific guards (bundles
RVM would answer differently are refused; errors still fail closed) are checked here too.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from gatekeeper.domain import Principal
from gatekeeper.domain.errors import EngineError
from gatekeeper.domain.request import AccessRequest, format_timestamp, parse_timestamp
from gatekeeper.domain.roles import ROLES
from gatekeeper.engine import Engine, create_engine, load_bundle
from gatekeeper.engine.base import PolicyBundle
from gatekeeper.engine.bundle import without_views
from gatekeeper.policyci.synthetic import generate
from gatekeeper.service.decisions import build_input

REPO = Path(__file__).resolve().parent.parent
SYNTHETIC = 2000
EDGE = 400
SEED = 7


def engine_input(doc: dict[str, Any]) -> dict[str, Any]:
    """The engine input the service would build for a synthetic document."""
    ident = doc["identity"]
    principal = Principal(ident["subject"], ident["role"], ident.get("organisation"))
    request = AccessRequest.from_mapping(doc["request"])
    return build_input(request, principal, parse_timestamp(doc["now"]))


def edge_cases(data: dict[str, Any], count: int) -> Iterator[dict[str, Any]]:
    """Synthetic requests pushed to the edges the API still accepts."""
    rng = random.Random(SEED + 1)
    customers = sorted(data["customers"])
    for n, doc in enumerate(generate(data, count, seed=SEED + 2)):
        request = doc["request"]
        now = parse_timestamp(doc["now"])
        request["duration_hours"] = rng.choice((0.01, 0.5, 1.5, 23.99, 24, 24.5, 100, 2160))
        shift = rng.choice((-24 * 30, -1, 0, 0.5, 24 * 400, 24 * 365 * 30))
        request["start"] = format_timestamp(now + timedelta(hours=shift))
        if n % 3 == 0:
            request["ticket"] = None
        request["urgency"] = rng.choice(("normal", "high", "emergency"))
        role = rng.choice(ROLES)
        organisation = rng.choice([None, *customers]) if role == "customer" else None
        doc["identity"] = {"subject": f"edge{n}@example", "role": role,
                           "organisation": organisation}
        doc["description"] = f"edge #{n}"
        yield doc


def answer(engine: Engine, payload: dict[str, Any]) -> str:
    """Canonical JSON of the decision (1 and 1.0, true and 1 stay apart), or the error."""
    try:
        return json.dumps(engine.evaluate(payload), sort_keys=True, ensure_ascii=False)
    except EngineError as exc:
        return json.dumps({"EngineError": str(exc)})


@pytest.fixture(scope="module")
def bundle() -> PolicyBundle:
    return load_bundle(REPO / "policies")


@pytest.fixture(scope="module")
def pair(bundle: PolicyBundle) -> tuple[Engine, Engine]:
    return create_engine("regorus", bundle), create_engine("regorus-rvm", bundle)


def first_mismatch(
    pair: tuple[Engine, Engine],
    docs: list[dict[str, Any]],
    names: tuple[str, str] = ("regorus", "regorus-rvm"),
) -> str | None:
    reference, compiled = pair
    for doc in docs:
        payload = engine_input(doc)
        expected, actual = answer(reference, payload), answer(compiled, payload)
        if expected != actual:
            exp, act = json.loads(expected), json.loads(actual)
            keys = sorted(k for k in set(exp) | set(act) if exp.get(k) != act.get(k)) if (
                isinstance(exp, dict) and isinstance(act, dict)
            ) else []
            return (
                f"{doc['description']}: {names[1]} disagrees with {names[0]} on "
                f"{keys or 'the value'}"
                f"\ninput:\n{json.dumps(payload, indent=2)}"
                f"\n{names[0]}:\n{json.dumps(exp, indent=2, sort_keys=True)}"
                f"\n{names[1]}:\n{json.dumps(act, indent=2, sort_keys=True)}"
            )
    return None


def test_rvm_agrees_on_synthetic_requests(
    bundle: PolicyBundle, pair: tuple[Engine, Engine]
) -> None:
    docs = list(generate(bundle.data, SYNTHETIC, seed=SEED))
    assert len(docs) == SYNTHETIC
    problem = first_mismatch(pair, docs)
    assert problem is None, problem


def test_rvm_agrees_on_edge_cases(bundle: PolicyBundle, pair: tuple[Engine, Engine]) -> None:
    problem = first_mismatch(pair, list(edge_cases(dict(bundle.data), EDGE)))
    assert problem is None, problem


def test_rvm_agrees_on_every_example(pair: tuple[Engine, Engine]) -> None:
    docs = []
    for path in sorted((REPO / "examples" / "requests").glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        doc["description"] = path.name
        doc.setdefault("identity", {"subject": "x", "role": "engineer"})
        docs.append(doc)
    problem = first_mismatch(pair, docs)
    assert problem is None, problem


def test_bundle_views_change_no_answer(bundle: PolicyBundle) -> None:
    """data.views (computed once per bundle) is a speed-up only: the interpreter without it,
    where every rule computes what it would look up, answers every request the same."""
    bare = without_views(bundle)
    pair = (create_engine("regorus", bundle), create_engine("regorus", bare))
    docs = list(generate(bundle.data, SYNTHETIC, seed=SEED))
    docs += list(edge_cases(dict(bundle.data), EDGE))
    problem = first_mismatch(pair, docs, ("regorus with views", "regorus without views"))
    assert problem is None, problem


# ---- RVM guards ----------------------------------------------------------------------------


def bundle_of(tmp_path: Path, rego: str) -> PolicyBundle:
    (tmp_path / "gatekeeper").mkdir()
    (tmp_path / "gatekeeper" / "decision.rego").write_text(
        "package gatekeeper\n\nimport rego.v1\n\n" + rego
    )
    return load_bundle(tmp_path, schema_dir=None)


@pytest.mark.parametrize(
    ("rego", "line", "hint"),
    [
        ("x := input.a if true\n\ndecision := 1 if {\n\ty := x\n}\n", 8, "write `="),
        ("s contains {\"a\": input.a}\n\ndecision := count(s)\n", 5, "bind it in the body"),
        ("decision := [input.a[k] | some k in [1]]\n", 5, "bind it in the body"),
        ("f(n) := y if some y in numbers.range(1, n)\n\ndecision := f(3)\n", 5, "one of several"),
    ],
    ids=["colon-assign", "set-head", "comprehension-head", "function-from-some"],
)
def test_bundles_rvm_would_answer_differently_are_refused(
    tmp_path: Path, rego: str, line: int, hint: str
) -> None:
    bundle = bundle_of(tmp_path, rego)
    assert create_engine("regorus", bundle) is not None
    with pytest.raises(EngineError) as caught:
        create_engine("regorus-rvm", bundle)
    message = str(caught.value)
    assert f"gatekeeper/decision.rego:{line}:" in message and hint in message
    assert "backtrace" not in message.lower() and len(message) < 400


def test_errors_in_the_decision_fail_closed(tmp_path: Path) -> None:
    """RVM turns a runtime error into undefined; the engine then asks the interpreter."""
    bundle = bundle_of(tmp_path, "ratio := 10 / input.divisor\n\ndecision := {\"ratio\": ratio}\n")
    engine = create_engine("regorus-rvm", bundle)
    assert engine.evaluate({"divisor": 4}) == {"ratio": 2.5}
    with pytest.raises(EngineError, match="divide by zero") as caught:
        engine.evaluate({"divisor": 0})
    assert "data.gatekeeper.decision" in str(caught.value)
    assert engine.evaluate({}) is None
    assert engine.evaluate({"divisor": 5}, "data.gatekeeper.ratio") == 2


def test_rvm_engine_names_itself(bundle: PolicyBundle, pair: tuple[Engine, Engine]) -> None:
    assert pair[1].name == "regorus-rvm" and pair[1].bundle is bundle
