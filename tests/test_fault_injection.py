"""A runtime error in any rules package makes every engine refuse, never answer with less.

regorus-rvm turns a runtime error into "undefined": the element being built is dropped, and
without a guard `allow_with_consequences` would become `allow` with no consequence. Each rules
package announces what it will produce (docs/policy-contract.md, "Announced elements"), so a
dropped element leaves no decision and the engine asks the interpreter, which raises.

For each rules package and each of 14 kinds of runtime error, the error is put at the end of
one rule body of the package (the body rotates with the kind, skipping bodies no example
reaches), on a copy of the bundle. Then, on every example:
- where the interpreter reaches the error it raises, and regorus-rvm and regopy refuse too
  (an error, or no decision, which the service answers with a 503), or give exactly the
  answer of the bundle without the error: both treat some errors as "undefined", so where an
  `else` computes the same value another way (a bundle view, else the function behind it)
  they answer, and rightly; regorus-rvm must refuse somewhere in every package;
- elsewhere every engine gives the answer it gave without the error.
Never a different answer, so never an `allow` that lost its consequences.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gatekeeper.domain.errors import GatekeeperError
from gatekeeper.engine import PolicyBundle, create_engine, load_bundle
from gatekeeper.engine.expectations import example_input

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "policies" / "gatekeeper" / "rules"
PACKAGES = sorted(p.name for p in RULES.iterdir() if p.is_dir())
EXAMPLES = sorted((ROOT / "examples" / "requests").glob("*.json"))

# (kind, the statement put into a body, rules added to the module). The statements read no
# input, so they fail the same way in bundle views (computed without input) as in requests;
# `concat("", [...])` keeps a value from being a literal the compiler could see through.
_TEXT = 'concat("", ["x"])'
_TWO_RULE_VALUES = ('_gk_fault_two := 1 if contains(concat("", ["ab"]), "")\n\n'
                    '_gk_fault_two := 2 if startswith(concat("", ["ab"]), "")\n')
_TWO_FUNCTION_VALUES = ('_gk_fault_f(x) := 1 if contains(x, "")\n\n'
                        '_gk_fault_f(x) := 2 if startswith(x, "")\n')
FAULTS: list[tuple[str, str, str]] = [
    ("division by zero", "gk_fault = count([]) / 0", ""),
    ("modulo by zero", "gk_fault = count([]) % 0", ""),
    ("upper of a number", "gk_fault = upper(count([]))", ""),
    ("to_number of text", f"gk_fault = to_number({_TEXT})", ""),
    ("object.get on a string", f'gk_fault = object.get({_TEXT}, "a", 1)', ""),
    ("number plus string", f"gk_fault = count([]) + {_TEXT}", ""),
    ("sprintf without an array", f'gk_fault = sprintf("%s", {_TEXT})', ""),
    ("bad time text", f"gk_fault = time.parse_rfc3339_ns({_TEXT})", ""),
    ("json.unmarshal of non-JSON", f"gk_fault = json.unmarshal({_TEXT})", ""),
    ("bad regular expression", 'gk_fault = regex.match(concat("", ["[", "x"]), "x")', ""),
    ("concat of a string", f'gk_fault = concat(",", {_TEXT})', ""),
    ("count of a number", "gk_fault = count(count([]))", ""),
    ("a complete rule with two values", "gk_fault = _gk_fault_two", _TWO_RULE_VALUES),
    ("a function with two values", f"gk_fault = _gk_fault_f({_TEXT})", _TWO_FUNCTION_VALUES),
]

_BODY_START = re.compile(r"^\S.*\bif \{$")


def _bodies(lines: list[str]) -> list[int]:
    """Line indexes where a top-level rule body ends (its closing brace at column 0)."""
    ends = []
    for i, line in enumerate(lines):
        if _BODY_START.match(line):
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("}"))
            ends.append(end)
    return ends


def _with_fault(text: str, body: int, statement: str, rules: str) -> str:
    lines = text.split("\n")
    end = _bodies(lines)[body]
    lines.insert(end, "\t" + statement)
    faulty = "\n".join(lines)
    return faulty + ("\n" + rules if rules else "")


Answer = tuple[str, Any]


def _answer(evaluate: Callable[[dict[str, Any]], Any], engine_input: dict[str, Any]) -> Answer:
    try:
        value = evaluate(engine_input)
    except GatekeeperError as exc:
        return "refused", exc.code
    return ("refused", "undefined") if value is None else ("value", value)


@pytest.fixture(scope="module")
def inputs() -> list[dict[str, Any]]:
    return [example_input(json.loads(path.read_text())) for path in EXAMPLES]


@pytest.fixture(scope="module")
def reference(inputs: list[dict[str, Any]]) -> list[Any]:
    engine = create_engine("regorus", load_bundle(ROOT / "policies"))
    return [engine.evaluate(item) for item in inputs]


def _faulty_bundle(tmp: Path, package: str, body: int, statement: str,
                   rules: str) -> PolicyBundle | None:
    """The bundle with the fault in place; None when it does not load (refused at load)."""
    if tmp.exists():
        shutil.rmtree(tmp)
    shutil.copytree(ROOT / "policies", tmp)
    module = tmp / "gatekeeper" / "rules" / package / f"{package}.rego"
    module.write_text(_with_fault(module.read_text(), body, statement, rules))
    try:
        return load_bundle(tmp)
    except GatekeeperError:
        return None


@pytest.mark.parametrize("package", PACKAGES)
def test_a_runtime_error_in_a_rules_package_is_refused_by_every_engine(
    package: str, inputs: list[dict[str, Any]], reference: list[Any], tmp_path: Path
) -> None:
    source = (RULES / package / f"{package}.rego").read_text()
    count = len(_bodies(source.split("\n")))
    assert count > 0, f"{package}: no rule body to put a fault in"
    vm_refusals = 0  # the guard is exercised: regorus-rvm does refuse in this package
    for k, (kind, statement, rules) in enumerate(FAULTS):
        reached: list[int] = []
        for attempt in range(count):  # the first body, from this kind's turn on, that is reached
            body = (k + attempt) % count
            bundle = _faulty_bundle(tmp_path / "bundle", package, body, statement, rules)
            if bundle is None:
                break  # refused at load by every engine: nothing is served
            interpreter = create_engine("regorus", bundle)
            answers = [_answer(interpreter.evaluate, item) for item in inputs]
            reached = [i for i, (status, _) in enumerate(answers) if status == "refused"]
            if reached:
                break
        else:
            pytest.fail(f"{package}: no example reaches any rule body with {kind}")
        if bundle is None:
            continue
        where = f"{package} with {kind} in body {body}"
        for i, (status, value) in enumerate(answers):
            if i not in reached:
                assert (status, value) == ("value", reference[i]), f"{where}: {EXAMPLES[i].name}"
        for name in ("regorus-rvm", "regopy"):
            try:
                engine = create_engine(name, bundle)
            except GatekeeperError:
                vm_refusals += name == "regorus-rvm"
                continue  # refused at load: never served
            for i, item in enumerate(inputs):
                if name == "regopy" and i not in reached:
                    continue  # the slowest engine: only where the error is reached
                got = _answer(engine.evaluate, item)
                vm_refusals += name == "regorus-rvm" and got[0] == "refused"
                if got == ("value", reference[i]):
                    continue  # the very answer without the error (see above)
                if i in reached:
                    assert got[0] == "refused", (
                        f"{where}: {name} answered {EXAMPLES[i].name} with "
                        f"{got[1].get('outcome') if isinstance(got[1], dict) else got[1]}")
                else:
                    assert got == ("value", reference[i]), f"{where}: {name} {EXAMPLES[i].name}"
    assert vm_refusals > 0, f"{package}: regorus-rvm never refused"
