"""Rule shapes regorus 0.13's compiled mode (RVM) evaluates differently from the interpreter.

These are properties of whole rule definitions, not of single expressions (those are in
``rvm_check``), measured on tiny modules (docs/policy-contract.md, "regorus RVM"):

* a head with a multi-part reference (``a.b := 1``, ``p.q[x] := y``, ``p[x].y contains z``)
  builds the wrong document (``a.b := 1`` gives ``a == 1``);
* a default function (``default f(_) := 1``) is undefined where the default should apply;
* a complete rule, function or partial object defined twice with different values for one
  input: the interpreter raises a conflict error, RVM answers undefined (a complete rule or
  function) or the last value (a partial object).

Only definitions that surely meet are refused: values that are not one literal, alike
arguments, and conditions of one that start the other's (``r := 1`` and ``r := 2 if c``).
Whether two bodies with different conditions can both hold depends on the data (the bundle has
such pairs that never meet), so those are left to ``gatekeeper test`` on the interpreter.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations
from typing import Any

MULTI_PART_HINT = (
    "a multi-part rule head builds the wrong document on RVM: "
    "define one level (`a := {\"b\": v}`) or a plain partial object"
)
DEFAULT_FUNC_HINT = (
    "a default function is undefined on RVM: write the fallback as `else` of the function"
)
CONFLICT_HINT = (
    "two definitions give different values here: the interpreter fails, RVM answers; "
    "use `else` or exclusive conditions"
)

_LITERALS = {"Null", "True", "False", "Number", "String", "RawString", "Bool"}


def _kind(node: Any) -> tuple[str, Any]:
    if isinstance(node, dict) and len(node) == 1:
        kind, body = next(iter(node.items()))
        return str(kind), body
    return "", None


def _ref_chain(ref: Any) -> tuple[str, list[tuple[str, Any]]]:
    """The rule name of a head reference and its parts below it, as (RefDot|RefBrack, key)."""
    parts: list[tuple[str, Any]] = []
    kind, body = _kind(ref)
    while kind in ("RefDot", "RefBrack"):
        parts.append((kind, body["field"][1] if kind == "RefDot" else body["index"]))
        kind, body = _kind(body["refr"])
    name = str(body.get("value")) if kind == "Var" else ""
    return name, parts[::-1]


def _partial_object(chain: list[tuple[str, Any]]) -> bool:
    """``o[k] := v``: one bracket part whose key is not a constant string."""
    return (
        len(chain) == 1 and chain[0][0] == "RefBrack" and _kind(chain[0][1])[0] != "String"
    )


def _bare(node: Any, names: dict[str, str]) -> Any:
    """A term without positions, argument variables renamed by position, to compare terms."""
    if isinstance(node, dict):
        if "line" in node and "start" in node:
            return None
        kind, body = _kind(node)
        if kind == "Var" and str(body.get("value")) in names:
            return {"Var": {"value": names[str(body["value"])]}}
        return {k: _bare(v, names) for k, v in node.items() if k not in ("span", "eidx")}
    if isinstance(node, list):
        return [_bare(v, names) for v in node]
    return node


class _Definition:
    """One rule definition: its values (with ``else``), arguments and first body's conditions
    (None with ``else``: the chain's conditions are not a list of statements)."""

    def __init__(self, spec: dict[str, Any], line: int) -> None:
        _, head = _kind(spec["head"])
        args = head.get("args") or []
        names = {
            str(body["value"]): f"${n}"
            for n, (kind, body) in enumerate(_kind(a) for a in args)
            if kind == "Var"
        }
        self.line = line
        self.args = [_bare(a, names) for a in args]
        bodies = spec.get("bodies") or []
        values = [(head.get("assign") or {}).get("value")]
        values += [(b.get("assign") or {}).get("value") for b in bodies if b.get("is_else")]
        true = {"Bool": {"value": True}}  # `r if ...` has no value: it is true
        self.values = [true if v is None else _bare(v, names) for v in values]
        stmts = ((bodies[0] if bodies else {}).get("query") or {}).get("stmts", [])
        chained = any(b.get("is_else") for b in bodies)
        self.guards = None if chained else [_bare(s.get("literal"), names) for s in stmts]

    def overlaps(self, other: _Definition) -> bool:
        """True when the two surely give different values for some input: their values are
        not one literal, their arguments are alike, and one's conditions start the other's
        (so whenever the longer one holds, the shorter holds too)."""
        values = self.values + other.values
        if all(_kind(v)[0] in _LITERALS and v == values[0] for v in values):
            return False
        if self.args != other.args or self.guards is None or other.guards is None:
            return False
        short, long = sorted((self.guards, other.guards), key=len)
        return long[: len(short)] == short


def rule_hazards(rule: dict[str, Any], package: str) -> tuple[list[str], tuple[str, str] | None]:
    """The hints for a rule (multi-part head, default function) and, for a complete rule,
    function or partial object, its (path, kind) for :func:`conflicts` to compare."""
    kind, spec = _kind(rule)
    if kind == "Default":
        _, chain = _ref_chain(spec.get("refr"))
        return [MULTI_PART_HINT] * bool(chain) + [DEFAULT_FUNC_HINT] * bool(spec.get("args")), None
    head_kind, head = _kind(spec.get("head"))
    name, chain = _ref_chain(head.get("refr"))
    if chain and not (head_kind == "Compr" and _partial_object(chain)):
        return [MULTI_PART_HINT], None
    group = "partial" if chain else head_kind
    return [], (f"{package}.{name}", group) if group in ("Compr", "Func", "partial") else None


def conflicts(
    definitions: dict[tuple[str, str], list[tuple[str, int, Any]]],
) -> Iterator[tuple[str, int]]:
    """(file, line) of each definition that surely conflicts with another of the same rule;
    ``definitions`` maps (rule path, kind) to (file, line, Spec)."""
    for defs in definitions.values():
        parsed = [(file, _Definition(spec, line)) for file, line, spec in defs]
        for (file_a, a), (file_b, b) in combinations(parsed, 2):
            if a.overlaps(b):
                yield file_a, a.line
                yield file_b, b.line
