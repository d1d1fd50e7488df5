"""Evaluate the same requests on two bundles, in-process or over several worker processes.

Each side goes the service's way: unknown ids are rejected (``invalid``), the engine evaluates
``data.gatekeeper.decision`` and the answer is checked as the service checks it (``error``
when it would fail closed). Workers get chunks and send back counts and the few changes.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import structlog

from gatekeeper.domain import Decision, GatekeeperError, PolicyRef, Principal, ValidationError
from gatekeeper.domain.errors import EngineError
from gatekeeper.engine import create_engine
from gatekeeper.engine.base import DECISION_PATH, Engine, PolicyBundle
from gatekeeper.engine.regorus_engine import input_json
from gatekeeper.engine.rvm_engine import decode
from gatekeeper.policyci.impact import Change, ImpactReport, SideResult, compare
from gatekeeper.policyci.sources import Pending
from gatekeeper.service.catalog import check_known

log = structlog.get_logger(__name__)

CHUNK = 500
PARALLEL_FROM = 2000  # below this many requests one process is faster than starting workers
_NO_POLICY = PolicyRef("", "")


@dataclass
class ChunkResult:
    """What a worker sends back for one chunk: small enough to pickle cheaply."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    changes: list[Change] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


class SideEvaluator:
    """One bundle and its engine, answering as the service would."""

    def __init__(self, bundle: PolicyBundle, engine: Engine) -> None:
        self.bundle = bundle
        self.engine = engine
        self._known: dict[tuple[Any, ...], str | None] = {}
        # Engines that answer with JSON text (regorus-rvm) take the input serialised once for
        # both sides, and an answer equal to the other side's is recognised as text.
        self._as_text: Callable[[str], str | None] | None = getattr(engine, "evaluate_text", None)

    def rejection(self, engine_input: dict[str, Any]) -> str | None:
        """Why the service would reject the ids before asking the policy (memoised)."""
        req, ident = engine_input["request"], engine_input["identity"]
        key = (req.get("customer"), req.get("environment"), req.get("access"),
               req.get("purpose"), ident.get("role"), ident.get("organisation"))
        if key not in self._known:
            principal = Principal(str(ident.get("subject")), str(ident.get("role")),
                                  ident.get("organisation"))
            try:
                check_known(self.bundle, principal, SimpleNamespace(**req))
                self._known[key] = None
            except ValidationError as exc:
                self._known[key] = "; ".join(f"{e.field}: {e.problem}" for e in exc.errors)
        return self._known[key]

    def answer(self, engine_input: dict[str, Any], same_as: SideResult | None = None,
               document: str | None = None) -> SideResult:
        """The side's result; ``same_as`` skips re-checking an answer equal to one checked;
        ``document`` is ``engine_input`` serialised by ``input_json``, when known."""
        problem = self.rejection(engine_input)
        if problem is not None:
            return SideResult("invalid", problem=problem)
        text = None
        try:
            if document is not None and self._as_text is not None:
                text = self._as_text(document)
            if text is None:
                raw = self.engine.evaluate(engine_input, DECISION_PATH)
            else:
                if same_as is not None and same_as.decision is not None and (
                    text == same_as.text
                ):
                    return same_as
                raw = decode(text)
            if same_as is not None and same_as.decision is not None and raw == same_as.decision:
                return same_as
            Decision.from_policy(raw, decision_id="", policy=_NO_POLICY)
        except GatekeeperError as exc:
            return SideResult("error", problem=f"{exc.code}: {exc.detail}")
        return SideResult(raw["outcome"], decision=raw, text=text)


class PairEvaluator:
    """Both sides; compares their answers for one request."""

    def __init__(self, base: SideEvaluator, head: SideEvaluator) -> None:
        self.base, self.head = base, head

    def run_chunk(self, entries: list[Pending]) -> ChunkResult:
        out = ChunkResult()
        for item in (item for entry in entries for item in entry.resolve()):
            if item.input is None:
                out.skipped.append((item.label, item.problem or "not a valid request"))
                continue
            try:
                document: str | None = input_json(item.input)
            except EngineError:
                document = None  # each side reports it as the engine would
            b = self.base.answer(item.input, document=document)
            h = self.head.answer(item.input, same_as=b, document=document)
            out.counts[(b.outcome, h.outcome)] += 1
            change = compare(item.label, item.input, b, h)
            if change is not None:
                out.changes.append(change)
        return out


EngineFactory = Callable[[str, PolicyBundle], Engine]
_WORKER: PairEvaluator | None = None
_WORKER_ERROR: Exception | None = None


def _pair(base: PolicyBundle, head: PolicyBundle, engine: str,
          factory: EngineFactory = create_engine) -> PairEvaluator:
    return PairEvaluator(SideEvaluator(base, factory(engine, base)),
                         SideEvaluator(head, factory(engine, head)))


def _init_worker(base: PolicyBundle, head: PolicyBundle, engine: str) -> None:
    # A forked worker already holds the parent's pair (built and checked once, ~0.4 s an
    # engine with the regorus-rvm hazard check); a spawned one builds its own.
    # An initializer that raises makes the pool respawn workers for ever: keep the error
    # and raise it from the first chunk instead, where imap hands it to the parent.
    global _WORKER, _WORKER_ERROR
    if _WORKER is not None:
        return
    try:
        _WORKER = _pair(base, head, engine)
    except Exception as exc:
        _WORKER_ERROR = exc


def _work(items: list[Pending]) -> ChunkResult:
    if _WORKER is None:
        raise _WORKER_ERROR or RuntimeError("impact worker was not initialised")
    return _WORKER.run_chunk(items)


def chunked(items: Iterable[Pending], size: int = CHUNK) -> Iterator[list[Pending]]:
    chunk: list[Pending] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def default_workers(total: int | None) -> int:
    """One process for small runs; otherwise every core this process may use."""
    if total is not None and total < PARALLEL_FROM:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, cores)


def replay(
    report: ImpactReport,
    base: PolicyBundle,
    head: PolicyBundle,
    items: Iterable[Pending],
    engine: str = "regorus",
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> ImpactReport:
    """Replay ``items`` on both bundles into ``report``; source errors propagate unchanged."""
    started = time.perf_counter()
    report.workers = workers
    chunks = chunked(items)

    def fold(result: ChunkResult) -> None:
        report.merge(result.counts.items(), result.changes, result.skipped)
        if progress is not None:
            progress(sum(result.counts.values()) + len(result.skipped))

    pair = _pair(base, head, engine)  # fails here, once, if an engine cannot be built
    if workers <= 1:
        for chunk in chunks:
            fold(pair.run_chunk(chunk))
    else:
        global _WORKER
        fork = os.name == "posix"
        ctx = multiprocessing.get_context("fork" if fork else "spawn")
        _WORKER = pair if fork else None  # what each forked worker starts with
        try:
            with ctx.Pool(workers, _init_worker, (base, head, engine)) as pool:
                for result in pool.imap(_work, chunks):
                    fold(result)
        finally:
            _WORKER = None
    report.seconds = time.perf_counter() - started
    log.info("impact_replayed", requests=report.total, changed=report.changed,
             skipped=report.skipped, seconds=round(report.seconds, 3), workers=workers)
    return report
