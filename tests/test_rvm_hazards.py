"""regorus-rvm refuses, naming file and line, the rule shapes it answers differently from the
interpreter (docs/policy-contract.md, "regorus RVM"); each case is loaded on the interpreter
first, and the shapes RVM gets right still load."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gatekeeper.domain.errors import EngineError
from gatekeeper.engine import create_engine, load_bundle
from gatekeeper.engine.base import PolicyBundle
from gatekeeper.engine.expectations import example_input
from gatekeeper.engine.regorus_engine import input_json
from gatekeeper.engine.rvm_engine import decode
from gatekeeper.policyci.engine_agreement import synthetic_samples

HEADER = "package gatekeeper\n\nimport rego.v1\n\n"  # the module's first rule is on line 5


def bundle_of(tmp_path: Path, rego: str) -> PolicyBundle:
    (tmp_path / "gatekeeper").mkdir()
    (tmp_path / "gatekeeper" / "decision.rego").write_text(HEADER + rego)
    return load_bundle(tmp_path, schema_dir=None)


@pytest.mark.parametrize(
    ("rego", "lines", "hint", "answer"),
    [
        # RVM: {"a": 1}; the interpreter: {"a": {"b": {"c": 1}}}.
        ('a.b.c := 1\n\ndecision := {"a": a}\n', [5], "multi-part rule head",
         {"a": {"b": {"c": 1}}}),
        ('p.q[x] := y if some x, y in {"k": 1}\n\ndecision := {"p": p}\n', [5],
         "multi-part rule head", {"p": {"q": {"k": 1}}}),
        ('p[x].y contains z if some x, z in {"k": 1}\n\ndecision := {"p": p}\n', [5],
         "multi-part rule head", {"p": {"k": {"y": [1]}}}),
        # RVM: undefined where the default applies.
        ('default f(_) := 1\n\nf(x) := 2 if x > 5\n\ndecision := {"f": f(1)}\n', [5],
         "default function", {"f": 1}),
        # The interpreter fails on the conflict; RVM: {"r": []} / the last value.
        ('r := 1\n\nr := 2 if input.b\n\ndecision := {"r": [x | x = r]}\n', [5, 7],
         "two definitions", {"r": [1]}),
        ('f(x) := 1 if x > 0\n\nf(x) := 2 if {\n\tx > 0\n\tx > 1\n}\n\n'
         'decision := {"f": [y | y = f(input.n)]}\n', [5, 7], "two definitions", {"f": [1]}),
        ('o[k] := 1 if some k in input.keys\n\no[k] := 2 if {\n\tsome k in input.keys\n'
         '\tinput.b\n}\n\ndecision := {"o": o}\n', [5, 7], "two definitions", {"o": {"a": 1}}),
        # Conditions that do not visibly rule each other out: both hold here; the
        # interpreter fails, RVM would answer (tests/test_fault_injection.py).
        ('t := 1 if contains(input.s, "")\n\nt := 2 if startswith(input.s, "")\n\n'
         'decision := {"t": [x | x = t]} if not input.s\n', [5, 7], "two definitions",
         {"t": []}),
        ('f(x) := 1 if x > 0\n\nf(x) := 2 if x < 5\n\ndecision := {"f": [y | y = f(9)]}\n',
         [5, 7], "two definitions", {"f": [1]}),
        # RVM: undefined (the else is never taken when the iteration finds nothing).
        ('x := t if {\n\tsome s in input.keys\n\ts == "z"\n\tt = "z"\n} else := "none"\n\n'
         'decision := {"x": x}\n', [6], "iterates", {"x": "none"}),
        ('x := "one" if input.keys[_] == "z"\n\nelse := "none"\n\ndecision := {"x": x}\n',
         [5], "iterates", {"x": "none"}),
    ],
    ids=["dotted-head", "dotted-partial-object", "nested-contains", "default-function",
         "complete-rule-conflict", "function-conflict", "partial-object-conflict",
         "conditions-not-exclusive", "ranges-that-meet", "some-before-else",
         "wildcard-before-else"],
)
def test_wrong_value_shapes_are_refused(
    tmp_path: Path, rego: str, lines: list[int], hint: str, answer: object
) -> None:
    bundle = bundle_of(tmp_path, rego)
    interpreter = create_engine("regorus", bundle)
    assert interpreter.evaluate({"n": 1, "keys": ["a"]}) == answer
    with pytest.raises(EngineError) as caught:
        create_engine("regorus-rvm", bundle)
    message = str(caught.value)
    for line in lines:
        assert f"gatekeeper/decision.rego:{line}: " in message and hint in message


@pytest.mark.parametrize(
    "rego",
    [
        # One level, a plain partial object, a default rule, an else chain, same values,
        # different literal arguments, conditions that differ from the first statement.
        'a := {"b": 1}\n\no[k] := 1 if some k in ["a"]\n\ndefault d := 0\n\n'
        'decision := {"a": a, "o": o, "d": d}\n',
        'r := 1 if input.a\n\nelse := 2\n\nf(x) := 1 if x > 5\n\nelse := 2\n\n'
        'decision := {"r": r, "f": f(1)}\n',
        'ok if input.a\n\nok if input.mode\n\ng("a") := 1\n\ng("b") := 2\n\n'
        'decision := {"ok": [x | x = ok], "g": g("b")}\n',
        'm := 1 if input.mode == "x"\n\nm := 2 if input.mode == "y"\n\n'
        'decision := {"m": [x | x = m]}\n',
        # Ranges and negations that rule each other out.
        'f(h) := "none" if h == 0\n\nf(h) := "some" if h > 0\n\n'
        'g(h) := 1 if h < 3\n\ng(h) := 2 if h >= 3\n\n'
        'n := 1 if input.a\n\nn := 2 if not input.a\n\n'
        'decision := {"f": f(2), "g": g(3), "n": n}\n',
    ],
    ids=["one-level", "else-chains", "same-value-and-literal-args", "different-conditions",
         "exclusive-ranges-and-negation"],
)
def test_shapes_rvm_answers_alike_still_load(tmp_path: Path, rego: str) -> None:
    bundle = bundle_of(tmp_path, rego)
    compiled = create_engine("regorus-rvm", bundle)
    for doc in ({}, {"a": True, "mode": "y"}):
        assert compiled.evaluate(doc) == create_engine("regorus", bundle).evaluate(doc)


def test_undefined_items_in_literals_agree(tmp_path: Path) -> None:
    """An undefined item in a collection literal or call argument: RVM agrees here (the
    "<undefined>" string comes only from the shapes refused above and in rvm_check)."""
    rego = ('p if [1, 2, input.missing]\n\nq := [1, input.missing]\n\n'
            'decision := {"p": p, "q": q} if p\n\nelse := {"n": 1}\n')
    bundle = bundle_of(tmp_path, rego)
    compiled = create_engine("regorus-rvm", bundle)
    assert compiled.evaluate({}) == create_engine("regorus", bundle).evaluate({}) == {"n": 1}


def test_the_vm_itself_decides_every_example_and_synthetic_request() -> None:
    """The fast path is taken: the VM answers (and answers as the interpreter does) without
    asking the interpreter, which it does only when it says undefined. A construct that
    made it undefined for 15 of 19 examples doubled the cost of every decision unseen."""
    root = Path(__file__).resolve().parent.parent
    bundle = load_bundle(root / "policies")
    vm, interpreter = create_engine("regorus-rvm", bundle), create_engine("regorus", bundle)
    inputs = [example_input(json.loads(path.read_text()))
              for path in sorted((root / "examples" / "requests").glob("*.json"))]
    inputs += [s.input for s in synthetic_samples(bundle.data, 300, datetime.now(UTC))]
    undefined = [i for i, item in enumerate(inputs) if vm.evaluate_text(input_json(item)) is None]
    assert undefined == []
    assert all(decode(vm.evaluate_text(input_json(item)) or "null") == interpreter.evaluate(item)
               for item in inputs[:40])
