"""Run a bundle's Rego tests (``test_*`` rules in ``*_test.rego``) on regorus, with coverage.

Backs ``gatekeeper test`` and ``gatekeeper check --min-coverage``. A failing test reports its
location, its source, what it evaluated to, and anything it ``print()``-ed, so authors can
print the actual value they are comparing.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import regorus

from gatekeeper.engine.base import PolicyBundle
from gatekeeper.engine.diagnostics import parse_regorus_error
from gatekeeper.engine.rego_ast import RuleInfo, iter_rules, parse_ast, statement_lines
from gatekeeper.engine.regorus_engine import build_regorus

_UNDEFINED = '"<undefined>"'


@dataclass(frozen=True)
class TestResult:
    """One test rule's outcome. ``actual`` is what it evaluated to (e.g. ``false``)."""

    __test__ = False  # not a pytest test class

    package: str
    name: str
    file: str
    line: int
    passed: bool
    duration_ms: float
    error: str | None = None
    actual: str | None = None
    prints: tuple[str, ...] = ()
    source: str = ""

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def full_name(self) -> str:
        return f"data.{self.package}.{self.name}"


@dataclass(frozen=True)
class FileCoverage:
    """Coverage of one non-test module: statement lines evaluated and not evaluated."""

    file: str
    covered: tuple[int, ...]
    not_covered: tuple[int, ...]

    @property
    def percent(self) -> float:
        total = len(self.covered) + len(self.not_covered)
        return 100.0 if total == 0 else 100.0 * len(self.covered) / total


@dataclass(frozen=True)
class TestReport:
    """All test results plus coverage over the bundle's non-test modules."""

    __test__ = False  # not a pytest test class

    revision: str
    results: tuple[TestResult, ...]
    files: tuple[FileCoverage, ...] = field(default=())
    coverage_enabled: bool = True

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def ok(self) -> bool:
        return self.failed == 0

    @property
    def coverage_percent(self) -> float | None:
        """Covered / (covered + not covered) statement lines; None when coverage was off."""
        if not self.coverage_enabled:
            return None
        covered = sum(len(f.covered) for f in self.files)
        total = covered + sum(len(f.not_covered) for f in self.files)
        return 100.0 if total == 0 else 100.0 * covered / total

    def failures(self) -> list[TestResult]:
        return [r for r in self.results if not r.passed]


def _display(bundle: PolicyBundle, rel: str) -> str:
    return f"{bundle.root.rstrip('/')}/{rel}"


def find_tests(bundle: PolicyBundle, engine: regorus.Engine | None = None) -> list[RuleInfo]:
    """The ``test_*`` rules of the test modules (functions excluded), one per path, in order."""
    engine = engine or build_regorus(bundle, with_tests=True)
    seen: dict[str, RuleInfo] = {}
    for rule in iter_rules(parse_ast(engine.get_ast_as_json())):
        is_test = rule.name.startswith("test_") and rule.kind != "Func"
        if is_test and rule.file in bundle.test_modules:
            seen.setdefault(rule.path, rule)
    return sorted(seen.values(), key=lambda r: (r.file, r.line))


def _source(bundle: PolicyBundle, rule: RuleInfo) -> str:
    lines = bundle.test_modules[rule.file].splitlines()
    return "\n".join(lines[rule.line - 1 : rule.end_line])


def _run_one(engine: regorus.Engine, bundle: PolicyBundle, rule: RuleInfo) -> TestResult:
    started = time.perf_counter()
    error = actual = None
    try:
        raw = engine.eval_rule_as_json(f"data.{rule.path}")
        passed = raw.strip() == "true"
        if not passed:
            actual = "undefined" if raw == _UNDEFINED else json.dumps(json.loads(raw))
    except RuntimeError as exc:
        passed, error = False, str(parse_regorus_error(exc))
    duration = (time.perf_counter() - started) * 1000
    prints = tuple(engine.take_prints())
    return TestResult(
        package=rule.package,
        name=rule.path.removeprefix(rule.package + "."),
        file=_display(bundle, rule.file),
        line=rule.line,
        passed=passed,
        duration_ms=duration,
        error=error,
        actual=actual,
        prints=prints,
        source="" if passed else _source(bundle, rule),
    )


def _coverage(engine: regorus.Engine, bundle: PolicyBundle) -> tuple[FileCoverage, ...]:
    report: dict[str, Any] = json.loads(engine.get_coverage_report_as_json())
    by_file = {f["path"]: f for f in report.get("files", [])}
    countable = statement_lines(parse_ast(engine.get_ast_as_json()))
    files = []
    for rel in sorted(bundle.modules):
        entry = by_file.get(rel, {})
        covered = set(entry.get("covered", []))
        lines = countable.get(rel, set()) | covered | set(entry.get("not_covered", []))
        files.append(
            FileCoverage(
                file=_display(bundle, rel),
                covered=tuple(sorted(covered)),
                not_covered=tuple(sorted(lines - covered)),
            )
        )
    return tuple(files)


def run_policy_tests(
    bundle: PolicyBundle, *, pattern: str | None = None, coverage: bool = True
) -> TestReport:
    """Run every test (or those whose ``package.name`` matches ``pattern``, a regex)."""
    engine = build_regorus(bundle, with_tests=True)
    tests = find_tests(bundle, engine)
    if pattern:
        selector = re.compile(pattern)
        tests = [t for t in tests if selector.search(t.path)]
    engine.set_gather_prints(True)
    engine.set_enable_coverage(coverage)
    results = tuple(_run_one(engine, bundle, rule) for rule in tests)
    files = _coverage(engine, bundle) if coverage else ()
    return TestReport(bundle.revision, results, files, coverage)
