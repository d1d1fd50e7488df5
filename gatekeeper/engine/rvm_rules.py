"""Rule shapes regorus 0.13's compiled mode (RVM) evaluates differently from the interpreter.

These are properties of whole rule definitions, not of single expressions (those are in
``rvm_check``), measured on tiny modules (docs/policy-contract.md, "regorus RVM"):

* a head with a multi-part reference (``a.b := 1``, ``p.q[x] := y``, ``p[x].y contains z``)
  builds the wrong document (``a.b := 1`` gives ``a == 1``);
* a default function (``default f(_) := 1``) is undefined where the default should apply;
* a complete rule, function or partial object defined twice with different values for one
  input: the interpreter raises a conflict error, RVM answers undefined (a complete rule or
  function) or the last value (a partial object).

Two definitions of one rule must be one ``else`` chain, give one literal value, or be
visibly exclusive: an argument that is a different literal in each, or conditions that rule
each other out (``k == "a"`` / ``k == "b"``, ``h == 0`` / ``h > 0``, ``e`` / ``not e``).
Otherwise the bundle is refused: whether both can hold would depend on the data, and where
they do RVM answers one value where the interpreter fails (tests/test_fault_injection.py).
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


_NUMERIC = {"Eq", "Ne", "Gt", "Ge", "Lt", "Le"}


def _comparison(literal: Any) -> tuple[Any, str, Any] | None:
    """``(term, op, value)`` for a guard ``term <op> literal``; None for any other statement."""
    kind, body = _kind(literal)
    if kind != "Expr":
        return None
    op_kind, expr = _kind(body.get("expr"))
    if op_kind != "BoolExpr" or expr.get("op") not in _NUMERIC:
        return None
    value_kind, value = _kind(expr.get("rhs"))
    if value_kind not in ("Number", "String", "Bool", "True", "False", "Null"):
        return None
    return expr.get("lhs"), str(expr["op"]), (value or {}).get("value")


def _never_both(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    """Whether ``t <op_a> x`` and ``t <op_b> y`` can never hold together."""
    (op_a, x), (op_b, y) = a, b
    if op_a == "Eq" and op_b == "Eq":
        return bool(x != y)
    if {op_a, op_b} == {"Eq", "Ne"}:
        return bool(x == y)
    if not (isinstance(x, int | float) and isinstance(y, int | float)) or isinstance(x, bool):
        return False
    if op_b == "Eq":
        (op_a, x), (op_b, y) = (op_b, y), (op_a, x)
    if op_a == "Eq":  # x against the range op_b y
        return {"Gt": x <= y, "Ge": x < y, "Lt": x >= y, "Le": x > y}.get(op_b, False)
    lower = {"Gt": (x, False), "Ge": (x, True)}.get(op_a) or {"Gt": (y, False),
                                                             "Ge": (y, True)}.get(op_b)
    upper = {"Lt": (x, False), "Le": (x, True)}.get(op_a) or {"Lt": (y, False),
                                                             "Le": (y, True)}.get(op_b)
    if lower is None or upper is None:
        return False
    return bool(upper[0] < lower[0] or (upper[0] == lower[0] and not (lower[1] and upper[1])))


def _exclusive(guards_a: list[Any], guards_b: list[Any]) -> bool:
    """Whether two bodies can never hold together: one compares a term with a literal in a
    way the other's comparison of that term rules out, or one says ``e`` and the other
    ``not e``."""
    for a in guards_a:
        for b in guards_b:
            kind_a, body_a = _kind(a)
            kind_b, body_b = _kind(b)
            if {kind_a, kind_b} == {"Expr", "NotExpr"}:
                plain, negated = (body_a, body_b) if kind_a == "Expr" else (body_b, body_a)
                if plain.get("expr") == negated.get("expr"):
                    return True
            ca, cb = _comparison(a), _comparison(b)
            if ca and cb and ca[0] == cb[0] and _never_both(ca[1:], cb[1:]):
                return True
    return False


class _Definition:
    """One rule definition: its values (with ``else``), arguments and each body's
    conditions (one list per body of an ``else`` chain)."""

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
        self.guards = [
            [_bare(s.get("literal"), names) for s in (b.get("query") or {}).get("stmts", [])]
            for b in bodies
        ] or [[]]

    def _args_differ(self, other: _Definition) -> bool:
        """Some argument is a different literal in each: no input reaches both."""
        return any(
            _kind(a)[0] in _LITERALS and _kind(b)[0] in _LITERALS and a != b
            for a, b in zip(self.args, other.args, strict=False)
        )

    def overlaps(self, other: _Definition) -> bool:
        """True unless the two can never give different values for one input: their values
        are one literal, an argument is a different literal in each, or every body of one
        rules out every body of the other (``k == "a"`` / ``k == "b"``, ``h == 0`` /
        ``h > 0``, ``e`` / ``not e``). Else the interpreter fails where RVM answers."""
        values = self.values + other.values
        if all(_kind(v)[0] in _LITERALS and v == values[0] for v in values):
            return False
        if self._args_differ(other):
            return False
        return not all(_exclusive(a, b) for a in self.guards for b in other.guards)


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
    """(file, line) of each definition that may conflict with another of the same rule;
    ``definitions`` maps (rule path, kind) to (file, line, Spec)."""
    for defs in definitions.values():
        parsed = [(file, _Definition(spec, line)) for file, line, spec in defs]
        for (file_a, a), (file_b, b) in combinations(parsed, 2):
            if a.overlaps(b):
                yield file_a, a.line
                yield file_b, b.line
