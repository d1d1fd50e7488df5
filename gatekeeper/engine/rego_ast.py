"""Read what we need from regorus's AST JSON: packages, rule paths and lines, statement lines.

Used to check the bundle's entry point, to find ``test_*`` rules, and to know which lines a
coverage report should count (regorus leaves unevaluated files out of its report).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RuleInfo:
    """One rule definition: ``path`` is its dotted path under ``data`` (package + head)."""

    file: str
    package: str
    name: str
    path: str
    line: int
    end_line: int
    kind: str  # Compr, Set, Func or Default


def _ref_parts(node: Any) -> list[str] | None:
    """Dotted parts of a head/package reference; None when a part is not a constant string."""
    if not isinstance(node, dict) or len(node) != 1:
        return None
    kind, body = next(iter(node.items()))
    if kind == "Var":
        return [str(body["value"])]
    if kind == "RefDot":
        base = _ref_parts(body["refr"])
        field = body.get("field")
        if base is None or not isinstance(field, list) or len(field) != 2:
            return None
        return [*base, str(field[1])]
    if kind == "RefBrack":
        base = _ref_parts(body["refr"])
        index = body.get("index", {})
        if base is None or "String" not in index:
            return None
        return [*base, str(index["String"]["value"])]
    return None


def _line_of(contents: bytes, offset: int) -> int:
    return contents[:offset].count(b"\n") + 1


def parse_ast(ast_json: str) -> list[dict[str, Any]]:
    """Decode ``Engine.get_ast_as_json()`` output into a list of modules."""
    modules = json.loads(ast_json)
    return modules if isinstance(modules, list) else []


def iter_rules(modules: list[dict[str, Any]]) -> Iterator[RuleInfo]:
    """Every rule definition in every module, with its dotted path and line span."""
    for module in modules:
        file = module["source"]["file"]
        contents = module["source"]["contents"].encode()
        package_parts = _ref_parts(module["ast"]["package"]["refr"]) or []
        package = ".".join(package_parts)
        for rule in module["ast"].get("rules", []):
            kind_outer, body = next(iter(rule.items()))
            if kind_outer == "Spec":
                kind, head = next(iter(body["head"].items()))
                span = body["span"]
            else:
                kind, head, span = kind_outer, body, body["span"]
            parts = _ref_parts(head.get("refr")) or []
            if not parts:
                continue
            yield RuleInfo(
                file=file,
                package=package,
                name=parts[-1],
                path=".".join([*package_parts, *parts]),
                line=int(span["line"]),
                end_line=_line_of(contents, int(span["end"])),
                kind=kind,
            )


def statement_lines(modules: list[dict[str, Any]]) -> dict[str, set[int]]:
    """Lines holding a body statement, per file: what a coverage report should count."""
    lines: dict[str, set[int]] = {}

    def walk(node: Any, found: set[int]) -> None:
        if isinstance(node, dict):
            stmts = node.get("stmts")
            if isinstance(stmts, list):
                found.update(int(s["span"]["line"]) for s in stmts if "span" in s)
            for value in node.values():
                walk(value, found)
        elif isinstance(node, list):
            for value in node:
                walk(value, found)

    for module in modules:
        found: set[int] = set()
        walk(module["ast"].get("rules", []), found)
        lines[module["source"]["file"]] = found
    return lines
