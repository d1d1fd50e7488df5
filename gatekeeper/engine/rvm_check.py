"""Find the Rego constructs regorus 0.13's compiled mode (RVM) evaluates differently.

RVM does not treat an undefined value as a failure in two places, and answers where the
interpreter fails in a third (docs/policy-contract.md, "regorus RVM"):

* ``x := expr`` in a query succeeds when ``expr`` is undefined and binds ``x`` to undefined
  (``x = expr`` fails, as it should);
* the head of a ``contains`` rule, of a partial object rule (``o[k] := v``) or of a
  comprehension adds an undefined element instead of nothing;
* a function or single-value rule whose value is bound by ``some v in ...`` returns one of
  several values where the interpreter fails.

``rvm_hazards`` lists every such place in a bundle's modules, so the compiled engine can
refuse a bundle it would answer wrongly instead of answering wrongly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from gatekeeper.engine.rego_ast import iter_rules
from gatekeeper.engine.rvm_rules import CONFLICT_HINT, conflicts, rule_hazards

_LITERALS = {"Null", "True", "False", "Number", "String", "RawString", "Bool"}
_COLLECTIONS = {"Array", "Set"}
_COMPREHENSIONS = {"ArrayCompr", "SetCompr", "ObjectCompr"}

ASSIGN_HINT = "`:=` in a body binds undefined on RVM: write `=`"
HEAD_HINT = "a head that may be undefined is added on RVM: bind it in the body with `=`"
MULTI_HINT = "a value from `some ... in` may be one of several; RVM returns one, not an error"
ELSE_HINT = ("a body that iterates (`some`, `x[_]`) before an `else`: RVM never takes the "
             "`else` when nothing is found; gather first (`xs = [...]`, `count(xs) > 0`)")


@dataclass(frozen=True)
class Hazard:
    """One construct RVM evaluates differently: file, line and what to write instead."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def _kind(node: Any) -> tuple[str, Any]:
    if isinstance(node, dict) and len(node) == 1:
        kind, body = next(iter(node.items()))
        return str(kind), body
    return "", None


def _literal(node: Any) -> bool:
    """A term that can never be undefined without naming anything (``x := 5``, ``[]``)."""
    kind, body = _kind(node)
    if kind in _LITERALS:
        return True
    if kind in _COLLECTIONS:
        return all(_literal(item) for item in body.get("items", []))
    if kind == "Object":
        return all(_literal(k) and _literal(v) for _, k, v in body.get("fields", []))
    return False


def _head_safe(node: Any, unsafe_names: set[str]) -> bool:
    """Literals, comprehensions and body variables only: no refs, calls or rule names."""
    kind, body = _kind(node)
    if kind in _LITERALS or kind in _COMPREHENSIONS:
        return True
    if kind == "Var":
        return str(body.get("value")) not in unsafe_names
    if kind in _COLLECTIONS:
        return all(_head_safe(item, unsafe_names) for item in body.get("items", []))
    if kind == "Object":
        return all(
            _head_safe(k, unsafe_names) and _head_safe(v, unsafe_names)
            for _, k, v in body.get("fields", [])
        )
    return False


def _line(node: Any, default: int) -> int:
    if isinstance(node, dict):
        span = node.get("span")
        if isinstance(span, dict) and "line" in span:
            return int(span["line"])
        kind, body = _kind(node)
        if kind:
            return _line(body, default)
    return default


def _walk(node: Any, line: int, unsafe: set[str]) -> Iterator[tuple[int, str]]:
    """(line, message) for every hazard in a subtree (queries and comprehensions)."""
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, line, unsafe)
        return
    if not isinstance(node, dict):
        return
    line = _line(node, line)
    kind, body = _kind(node)
    if kind == "AssignExpr" and body.get("op") == "ColEq" and not _literal(body.get("rhs")):
        yield line, ASSIGN_HINT
    elif kind in _COMPREHENSIONS and not all(
        _head_safe(body.get(part), unsafe)
        for part in (("key", "value") if kind == "ObjectCompr" else ("term",))
    ):
        yield line, HEAD_HINT
    for key, value in node.items():
        if key != "span":
            yield from _walk(value, line, unsafe)


def _var_name(node: Any) -> str | None:
    kind, body = _kind(node)
    return str(body.get("value")) if kind == "Var" else None


def _partial_object(head: dict[str, Any]) -> bool:
    """``o[k] := v`` (a variable key), as opposed to ``a.b := v`` or ``a["b"] := v``."""
    ref_kind, ref = _kind(head.get("refr"))
    return ref_kind == "RefBrack" and _kind(ref.get("index"))[0] not in ("", "String")


def _multi_value_head(head: Any, unsafe: set[str]) -> bool:
    """True when a ``contains`` / partial object head may add an undefined element."""
    kind, body = _kind(head)
    if kind == "Set":
        return body.get("key") is not None and not _head_safe(body["key"], unsafe)
    if kind == "Compr" and _partial_object(body):
        return not _head_safe((body.get("assign") or {}).get("value"), unsafe)
    return False


def _bare(node: Any) -> Any:
    """A term without positions, to compare two terms."""
    if isinstance(node, dict):
        return {k: _bare(v) for k, v in node.items() if k not in ("span", "eidx")}
    if isinstance(node, list):
        return [_bare(v) for v in node]
    return node


def _value_from_iteration(spec: dict[str, Any]) -> bool:
    """True when a single-value rule or function takes its value from ``some v in C`` --
    unless an ``every w in C`` in the same body picks one element (the arg-max idiom)."""
    kind, head = _kind(spec.get("head"))
    if kind not in ("Func", "Compr") or (kind == "Compr" and _partial_object(head)):
        return False
    name = _var_name((head.get("assign") or {}).get("value"))
    for body in spec.get("bodies", []) if name else []:
        literals = [_kind(s.get("literal")) for s in (body.get("query") or {}).get("stmts", [])]
        picked = [_bare(lit["domain"]) for kind, lit in literals if kind == "Every"]
        for kind, lit in literals:
            if kind != "SomeIn" or name not in (_var_name(lit["key"]), _var_name(lit["value"])):
                continue
            if _bare(lit["collection"]) not in picked:
                return True
    return False


def _iterates(node: Any) -> bool:
    """A query that iterates by itself: `some`, or an `x[_]` outside comprehensions."""
    if isinstance(node, list):
        return any(_iterates(item) for item in node)
    if not isinstance(node, dict):
        return False
    kind, body = _kind(node)
    if kind in ("SomeIn", "SomeVars"):
        return True
    if kind in _COMPREHENSIONS or kind == "Every":
        return False
    if kind == "RefBrack" and _var_name(body.get("index")) == "_":
        return True
    return any(_iterates(v) for k, v in node.items() if k != "span")


def _iterating_before_else(spec: dict[str, Any]) -> Iterator[int]:
    """Lines of bodies that iterate and have an `else` after them."""
    bodies = spec.get("bodies") or []
    for body, following in pairwise(bodies):
        stmts = (body.get("query") or {}).get("stmts", [])
        if following.get("is_else") and _iterates([s.get("literal") for s in stmts]):
            yield _line(stmts[0].get("literal") if stmts else spec, _line(spec, 1))


def _import_names(module: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    text = module["source"]["contents"].encode()
    for imp in module["ast"].get("imports", []):
        alias = imp.get("as")
        if isinstance(alias, dict) and "start" in alias:
            names.add(text[int(alias["start"]) : int(alias["end"])].decode())
            continue
        kind, ref = _kind(imp.get("refr"))
        if kind == "RefDot":
            names.add(str(ref["field"][1]))
        elif kind == "Var":
            names.add(str(ref["value"]))
    return names


def rvm_hazards(modules: list[dict[str, Any]], files: set[str]) -> list[Hazard]:
    """Every RVM hazard in the parsed ``modules`` whose file is in ``files``, sorted."""
    rule_names: dict[str, set[str]] = {}
    for rule in iter_rules(modules):
        below = rule.path.removeprefix(rule.package + ".")
        rule_names.setdefault(rule.package, set()).add(below.split(".")[0])
    found: set[Hazard] = set()
    definitions: dict[tuple[str, str], list[tuple[str, int, Any]]] = {}
    for module in modules:
        file = module["source"]["file"]
        if file not in files:
            continue
        package = next((r.package for r in iter_rules([module])), "")
        unsafe = {"input", "data"} | rule_names.get(package, set()) | _import_names(module)
        for rule in module["ast"].get("rules", []):
            kind, spec = _kind(rule)
            head = spec.get("head") if kind == "Spec" else None
            line = _line(spec, 1)
            messages, group = rule_hazards(rule, package)
            found.update(Hazard(file, line, message) for message in messages)
            if group is not None:
                definitions.setdefault(group, []).append((file, line, spec))
            if head is not None and _multi_value_head(head, unsafe):
                found.add(Hazard(file, line, HEAD_HINT))
            if head is not None and _value_from_iteration(spec):
                found.add(Hazard(file, line, MULTI_HINT))
            if head is not None:
                found.update(Hazard(file, at, ELSE_HINT) for at in _iterating_before_else(spec))
            for at, message in _walk(spec, line, unsafe):
                found.add(Hazard(file, at, message))
    found.update(Hazard(file, line, CONFLICT_HINT) for file, line in conflicts(definitions))
    return sorted(found, key=lambda h: (h.file, h.line, h.message))
