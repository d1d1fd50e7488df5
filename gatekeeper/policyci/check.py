"""``gatekeeper check``: is a policy bundle fit to merge? Seven steps, each a list of cases.

compile (every module parses and the bundle compiles), data (YAML parses and validates
against its schema), tests (Rego ``test_*`` rules, with coverage and a threshold), examples
(``examples/requests`` still decide as their ``expect`` says, and the same without the
bundle views), metadata (every public rule has a ``custom.code``; views read no input) and
engines (an engine other than the reference answers the examples and synthetic requests as
the reference does). A step that cannot run because an earlier one failed is skipped.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import regorus
import structlog

from gatekeeper.domain import BundleError, GatekeeperError, Principal
from gatekeeper.domain.request import parse_timestamp
from gatekeeper.engine import create_engine, load_bundle
from gatekeeper.engine.base import Engine, PolicyBundle
from gatekeeper.engine.bundle import VIEWS_KEY, without_views
from gatekeeper.engine.diagnostics import parse_regorus_error
from gatekeeper.engine.expectations import mismatches
from gatekeeper.engine.policy_tests import run_policy_tests
from gatekeeper.policyci.engine_agreement import (
    DEFAULT_SYNTHETIC,
    REFERENCE,
    Sample,
    compare,
    synthetic_samples,
)
from gatekeeper.policyci.lifecycle_steps import replay
from gatekeeper.policyci.lint import lint_bundle
from gatekeeper.policyci.routing_check import line_of, routing_problems
from gatekeeper.policyci.sources import item_from_document
from gatekeeper.service.decisions import DecisionService
from gatekeeper.service.policy_store import PolicyStore

log = structlog.get_logger(__name__)
STEPS = ("compile", "data", "tests", "coverage", "examples", "metadata", "engines")
SHOWN_DISAGREEMENTS = 10  # findings listed; the summary counts them all


@dataclass
class Case:
    """One checked thing (a module, a data file, a test, an example, a rule)."""

    name: str
    status: str = "passed"  # passed | failed | skipped
    message: str = ""
    file: str | None = None
    line: int | None = None
    seconds: float = 0.0

    def fail(self, message: str, file: str | None = None, line: int | None = None) -> None:
        self.status, self.message = "failed", message
        self.file, self.line = file or self.file, line or self.line


@dataclass
class Step:
    """A step's cases and a one-line summary of what it found."""

    name: str
    cases: list[Case] = field(default_factory=list)
    summary: str = ""
    skipped: str | None = None
    seconds: float = 0.0

    @property
    def failures(self) -> list[Case]:
        return [c for c in self.cases if c.status == "failed"]

    @property
    def status(self) -> str:
        if self.failures:
            return "failed"
        return "skipped" if self.skipped is not None else "passed"


@dataclass
class CheckReport:
    """Every step of one check run; ``ok`` decides the exit code."""

    policies: str
    revision: str | None = None
    coverage: float | None = None
    min_coverage: float | None = None
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.status != "failed" for s in self.steps)

    @property
    def failures(self) -> list[tuple[Step, Case]]:
        return [(s, c) for s in self.steps for c in s.failures]


class Checker:
    """Runs the steps against one policy folder; paths in findings are shown relative."""

    def __init__(self, policies: Path, examples: Path | None, min_coverage: float | None,
                 engine: str = "regorus", synthetic: int = DEFAULT_SYNTHETIC) -> None:
        self.policies = policies
        self.examples = examples
        self.min_coverage = min_coverage
        self.engine = engine
        self.synthetic = synthetic
        # Left by the examples step for the engines step: the inputs the examples were
        # decided on, and the engine that decided them.
        self._example_samples: list[Sample] = []
        self._served: Engine | None = None

    def show(self, rel: str | None) -> str | None:
        """A bundle-relative (or absolute) path as the user would type it from here."""
        if rel is None:
            return None
        given = Path(rel)
        path = given if given.is_absolute() or given.exists() else self.policies / rel
        try:
            return os.path.relpath(path)
        except ValueError:  # pragma: no cover - another drive on Windows
            return str(path)

    def run(self) -> CheckReport:
        report = CheckReport(str(self.policies), min_coverage=self.min_coverage)
        compile_step, data_step = Step("compile"), Step("data")
        report.steps += [compile_step, data_step]
        bundle = self._load(compile_step, data_step)
        later = [Step(name) for name in STEPS[2:]]
        report.steps += later
        if bundle is None:
            for step in later:
                step.skipped = "the bundle does not load"
            return report
        report.revision = bundle.revision
        self._routes(bundle, data_step)
        tests, coverage, examples, metadata, engines = later
        self._timed(tests, lambda: self._tests(bundle, tests, coverage, report))
        self._timed(examples, lambda: self._examples(bundle, examples))
        self._timed(metadata, lambda: self._metadata(bundle, metadata))
        self._timed(engines, lambda: self._engines(bundle, engines))
        return report

    def _routes(self, bundle: PolicyBundle, data_step: Step) -> None:
        """Notification routes naming a contact the customer does not have fail the data."""
        data_file = self.policies / "customers" / "data.yaml"
        for problem in routing_problems(bundle):
            shown = self.show(str(data_file))
            case = next((c for c in data_step.cases if c.file == shown), None)
            if case is None:
                case = Case("routes", file=shown)
                data_step.cases.append(case)
            message = problem if case.status != "failed" else f"{case.message}; {problem}"
            case.fail(message, shown, line_of(data_file, problem))

    @staticmethod
    def _timed(step: Step, run: Any) -> None:
        started = time.perf_counter()
        run()
        step.seconds = time.perf_counter() - started

    def _load(self, compile_step: Step, data_step: Step) -> PolicyBundle | None:
        started = time.perf_counter()
        modules = sorted(p for p in self.policies.rglob("*.rego") if p.is_file())
        datafiles = sorted(p for p in self.policies.rglob("data.*")
                           if p.name in ("data.yaml", "data.yml", "data.json"))
        compile_step.cases = [Case(self._rel(p), file=self.show(str(p))) for p in modules]
        data_step.cases = [Case(self._rel(p), file=self.show(str(p))) for p in datafiles]
        try:
            bundle = load_bundle(self.policies)
        except BundleError as exc:
            self._place(exc, compile_step, data_step)
            self._parse_each(compile_step)
            bundle = None
        compile_step.seconds = time.perf_counter() - started
        compile_step.summary = f"{len(modules)} module(s)"
        data_step.summary = f"{len(datafiles)} data file(s)"
        return bundle

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.policies).as_posix()

    def _place(self, exc: BundleError, compile_step: Step, data_step: Step) -> None:
        """File the load error under the case of the file it names (or the step itself)."""
        shown = self.show(exc.file)
        problem = f"{exc.problem} (at {exc.path})" if exc.path else exc.problem
        in_module = exc.file.endswith(".rego") or not Path(exc.file).suffix
        step = compile_step if in_module else data_step
        for case in step.cases:
            if case.file == shown:
                case.fail(problem, shown, exc.line)
                return
        step.cases.append(Case("bundle", "failed", problem, shown, exc.line))

    def _parse_each(self, step: Step) -> None:
        """After a failed load, parse every module alone so each syntax error is reported."""
        for case in step.cases:
            if case.status == "failed" or case.file is None:
                continue
            try:
                regorus.Engine().add_policy(case.name, Path(case.file).read_text("utf-8"))
            except (RuntimeError, OSError, UnicodeDecodeError) as exc:
                diag = parse_regorus_error(exc)
                case.fail(diag.message, case.file, diag.line)

    def _tests(self, bundle: PolicyBundle, step: Step, cov: Step, report: CheckReport) -> None:
        result = run_policy_tests(bundle, coverage=True)
        for t in result.results:
            case = Case(t.full_name, file=self.show(t.file), line=t.line,
                        seconds=t.duration_ms / 1000)
            if not t.passed:
                detail = t.error or f"evaluated to {t.actual}"
                prints = f" (printed: {' | '.join(t.prints)})" if t.prints else ""
                case.fail(f"{t.full_name} failed: {detail}{prints}")
            step.cases.append(case)
        step.summary = f"{result.passed} passed, {result.failed} failed"
        report.coverage = result.coverage_percent
        pct = result.coverage_percent or 0.0
        case = Case("coverage")
        threshold = self.min_coverage or 0.0
        cov.summary = f"{pct:.1f}% of statement lines" + (
            f" (minimum {threshold:g}%)" if self.min_coverage is not None else "")
        if pct + 1e-9 < threshold:
            worst = sorted(result.files, key=lambda f: f.percent)[:3]
            detail = ", ".join(f"{self.show(f.file)} {f.percent:.0f}%" for f in worst)
            first = worst[0] if worst else None
            line = first.not_covered[0] if first and first.not_covered else None
            case.fail(f"coverage {pct:.1f}% is below --min-coverage {threshold:g}% "
                      f"(least covered: {detail})",
                      self.show(first.file) if first else None, line)
        cov.cases.append(case)

    def _examples(self, bundle: PolicyBundle, step: Step) -> None:
        if self.examples is None or not self.examples.is_dir():
            step.skipped = "no examples folder"
            step.summary = "no examples folder"
            return
        store = PolicyStore(self.policies, self.engine)
        try:
            store.load()  # the service's own loading path, so examples decide as it does
        except GatekeeperError as exc:
            step.cases.append(Case("engine", "failed", exc.detail))
            return
        service = DecisionService(store)
        self._served = store.current.engine
        files = sorted(self.examples.glob("*.json"))
        for path in files:
            case, engine_input = self._example(service, path)
            step.cases.append(case)
            if engine_input is not None:
                self._example_samples.append(Sample(case.name, engine_input, case.file))
        failed = len(step.failures)
        step.summary = f"{len(files) - failed} of {len(files)} example(s) hold"
        if VIEWS_KEY in bundle.data and not failed:
            step.cases.extend(self._without_views(self._served, self._example_samples))
            if step.failures:
                step.summary += "; the bundle views change an answer"

    def _without_views(self, served: Engine, samples: list[Sample]) -> list[Case]:
        """Each example again on the bundle without ``data.views``: views only save work,
        so the answer must not change (a view that reads input, say, would change it)."""
        try:
            bare = create_engine(self.engine, without_views(served.bundle))
        except GatekeeperError as exc:
            return [Case("without views", "failed", exc.detail)]
        cases = []
        for sample in samples:
            case = Case(f"{sample.label} without views", file=sample.file, line=1)
            try:
                same = served.evaluate(sample.input) == bare.evaluate(sample.input)
            except GatekeeperError as exc:
                same, case.message = False, exc.detail
            if not same:
                case.fail(case.message or "the decision differs without data.views: a "
                          "view must be what its function gives, from data alone")
            cases.append(case)
        return cases

    def _example(
        self, service: DecisionService, path: Path
    ) -> tuple[Case, dict[str, Any] | None]:
        """The example's case, and the engine input it was decided on (None if none was)."""
        shown = self.show(str(path)) or str(path)
        case = Case(path.name, file=shown, line=1)
        started = time.perf_counter()
        try:
            text = path.read_text(encoding="utf-8")
            doc = json.loads(text)
        except (OSError, UnicodeDecodeError) as exc:
            case.fail(f"cannot read: {exc}")
            return case, None
        except json.JSONDecodeError as exc:
            case.fail(f"invalid JSON: {exc.msg}", line=exc.lineno)
            return case, None
        expect = doc.get("expect") if isinstance(doc, dict) else None
        line = next((i for i, t in enumerate(text.splitlines(), 1) if '"expect"' in t), 1)
        if not isinstance(expect, dict):
            case.fail("no \"expect\" object: say what the decision must contain", line=1)
            return case, None
        item = item_from_document(shown, doc, service.clock())
        actual: dict[str, Any]
        if item.input is None:
            actual = {"error": "validation_failed", "detail": item.problem}
        else:
            try:
                request, decision = service.decide(doc["request"], _principal(item.input),
                                                   now=_now(item.input),
                                                   context=item.input["context"])
                actual = decision.to_dict()
            except GatekeeperError as exc:
                actual = {"error": exc.code, "detail": exc.detail}
        problems = mismatches(expect, actual)
        if "steps" in doc and "error" not in actual and item.input is not None:
            problems += replay(doc["steps"], request, decision, _principal(item.input),
                               _now(item.input))
        if problems:
            got = f" (error: {actual['detail']})" if "error" in actual else ""
            case.fail("; ".join(problems) + got, line=line)
        case.seconds = time.perf_counter() - started
        return case, item.input

    def _engines(self, bundle: PolicyBundle, step: Step) -> None:
        """The examples and ``synthetic`` requests decided on the checked engine and on the
        reference interpreter; each request they answer differently is a finding."""
        if self.engine == REFERENCE:
            step.skipped = step.summary = f"{REFERENCE} is the reference engine"
            return
        try:
            served = self._served or create_engine(self.engine, bundle)
        except GatekeeperError as exc:
            step.cases.append(Case(self.engine, "failed", exc.detail))
            step.summary = f"{self.engine} cannot serve this bundle"
            return
        samples = list(self._example_samples)
        note = ""
        try:
            samples += synthetic_samples(bundle.data, self.synthetic, datetime.now(UTC))
        except ValueError as exc:  # no customers or no access levels to draw requests from
            note = f"; no synthetic requests: {exc}"
        compared, found = compare(bundle, served, samples)
        for disagreement in found[:SHOWN_DISAGREEMENTS]:
            sample = disagreement.sample
            # A synthetic request has no file to point at: the message says which one it is.
            message = disagreement.detail if sample.file else (
                f"{sample.label}: {disagreement.detail}")
            step.cases.append(Case(sample.label, "failed", message, sample.file,
                                   1 if sample.file else None))
        step.summary = (f"{self.engine} answers {compared - len(found)} of {compared} "
                        f"request(s) as {REFERENCE} does{note}")
        if len(found) > SHOWN_DISAGREEMENTS:
            step.summary += f" (first {SHOWN_DISAGREEMENTS} of {len(found)} differences listed)"

    def _metadata(self, bundle: PolicyBundle, step: Step) -> None:
        modules, findings = lint_bundle(bundle)
        by_file: dict[str, list[Any]] = {}
        for f in findings:
            by_file.setdefault(f.file, []).append(f)
        for rel in modules:
            problems = by_file.get(rel, [])
            if not problems:
                step.cases.append(Case(rel, file=self.show(rel)))
            for p in problems:  # one case per finding: each is annotated at its own line
                step.cases.append(Case(f"{rel}:{p.line}", "failed", p.message, self.show(rel),
                                       p.line))
        step.summary = f"{len(findings)} rule(s) without a custom.code"


def _principal(engine_input: dict[str, Any]) -> Principal:
    ident = engine_input["identity"]
    return Principal(str(ident["subject"]), str(ident["role"]), ident.get("organisation"))


def _now(engine_input: dict[str, Any]) -> datetime:
    return parse_timestamp(engine_input["now"])


def run_check(policies: Path, examples: Path | None, min_coverage: float | None = None,
              engine: str = "regorus", synthetic: int = DEFAULT_SYNTHETIC) -> CheckReport:
    """Run every step; never raises for problems in the policy folder (they are findings)."""
    report = Checker(policies, examples, min_coverage, engine, synthetic).run()
    log.info("check_finished", policies=str(policies), ok=report.ok,
             failures=len(report.failures), coverage=report.coverage)
    return report
