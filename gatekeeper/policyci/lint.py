"""Lint: every public rule carries a METADATA block with a ``custom.code``, and bundle views
read no input.

The code is what ``reasons[].code`` reports, so a rule without one cannot be traced. A rule
defined in several places needs the block on one of its definitions (usually the first).
Package ``gatekeeper.views`` is computed once, without input, when the bundle loads: a
reference to ``input`` there would be undefined, so it is a finding.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from gatekeeper.engine.base import PolicyBundle
from gatekeeper.engine.bundle import VIEWS_PACKAGE, is_views_module
from gatekeeper.engine.rego_ast import RuleInfo, iter_rules, parse_ast
from gatekeeper.engine.regorus_engine import build_regorus


@dataclass(frozen=True)
class Annotation:
    """A METADATA block: where it starts, what it says, or why it does not parse."""

    line: int
    value: Mapping[str, Any] | None
    problem: str | None = None

    @property
    def code(self) -> str | None:
        custom = (self.value or {}).get("custom")
        code = custom.get("code") if isinstance(custom, Mapping) else None
        return code if isinstance(code, str) and code.strip() else None


@dataclass(frozen=True)
class LintFinding:
    """A rule definition without a usable code, with its file and line."""

    file: str
    line: int
    rule: str
    message: str


def annotation_before(lines: list[str], line: int) -> Annotation | None:
    """The METADATA block in the comments right above 1-based ``line``, if any."""
    i = line - 2
    block: list[str] = []
    while i >= 0 and lines[i].lstrip().startswith("#"):
        block.insert(0, lines[i].lstrip())
        if block[0].rstrip() == "# METADATA":
            text = "\n".join(c[2:] if c.startswith("# ") else c[1:] for c in block[1:])
            try:
                value = yaml.safe_load(text) or {}
            except yaml.YAMLError as exc:
                return Annotation(i + 1, None, f"METADATA is not valid YAML: {exc}")
            if not isinstance(value, Mapping):
                return Annotation(i + 1, None, "METADATA must be a YAML mapping")
            return Annotation(i + 1, value)
        i -= 1
    return None


_INPUT = re.compile(r"(?<![\w.])input\b")


def _input_in_views(rel: str, text: str) -> list[LintFinding]:
    """Lines of a views module that mention ``input`` outside comments and strings."""
    if not is_views_module(text):
        return []
    found = []
    for n, line in enumerate(text.splitlines(), 1):
        code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line).split("#", 1)[0]
        if _INPUT.search(code):
            found.append(LintFinding(
                rel, n, VIEWS_PACKAGE.removeprefix("data."),
                "bundle views are computed once without input: data.gatekeeper.views must "
                "not read input (move this rule to the package that uses it)",
            ))
    return found


def _public(rule: RuleInfo) -> bool:
    below_package = rule.path.removeprefix(rule.package + ".")
    return not any(part.startswith("_") for part in below_package.split("."))


def lint_bundle(bundle: PolicyBundle) -> tuple[list[str], list[LintFinding]]:
    """(modules checked, findings) over the bundle's non-test modules."""
    ast = parse_ast(build_regorus(bundle).get_ast_as_json())
    sources = {rel: text.splitlines() for rel, text in bundle.modules.items()}
    rules = [r for r in iter_rules(ast) if r.file in sources and _public(r)]
    notes = {(r.file, r.line): annotation_before(sources[r.file], r.line) for r in rules}
    coded = {r.path for r in rules if (n := notes[(r.file, r.line)]) is not None and n.code}
    findings: list[LintFinding] = []
    reported: set[str] = set()
    for rule in sorted(rules, key=lambda r: (r.file, r.line)):
        note = notes[(rule.file, rule.line)]
        if note is not None and note.problem:
            findings.append(LintFinding(rule.file, note.line, rule.path, note.problem))
        elif rule.path not in coded and rule.path not in reported:
            reported.add(rule.path)
            what = "METADATA without custom.code" if note is not None else "no METADATA"
            findings.append(LintFinding(
                rule.file, rule.line, rule.path,
                f"public rule data.{rule.path} has {what} (add custom: code: ...)",
            ))
    for rel, text in sorted(bundle.modules.items()):
        findings.extend(_input_in_views(rel, text))
    return sorted(sources), sorted(findings, key=lambda f: (f.file, f.line))
