"""The reference embedded engine: regorus (Rust) interpreter in-process, one per thread.

A ``regorus.Engine`` may only be used -- and dropped -- on the thread that created it, so
engines live in a module-level thread-local map keyed by the owning ``RegorusEngine``;
entries of discarded instances are dropped later by their own thread.
"""

from __future__ import annotations

import itertools
import json
import threading
import weakref
from collections.abc import Mapping
from typing import Any

import regorus

from gatekeeper import jsontext
from gatekeeper.domain.errors import EngineError
from gatekeeper.engine.base import DECISION_PATH, PolicyBundle
from gatekeeper.engine.diagnostics import parse_regorus_error, strip_backtrace
from gatekeeper.engine.refs import is_plain, rego_ref

_UNDEFINED = '"<undefined>"'
_NOT_A_RULE = "not a valid rule path"

_PER_THREAD = threading.local()  # .engines: dict[int, regorus.Engine]
_LIVE: set[int] = set()  # keys of RegorusEngine instances still alive
_KEYS = itertools.count(1)


def _is_fatal(exc: BaseException) -> bool:
    return isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit)


def input_json(input: Mapping[str, Any]) -> str:
    """Serialise an input document; a non-JSON input is the caller's bug, reported clearly."""
    try:
        return json.dumps(input, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise EngineError(f"input is not valid JSON: {exc}") from None


def build_regorus(bundle: PolicyBundle, *, with_tests: bool = False) -> regorus.Engine:
    """A fresh regorus engine holding the bundle's modules (and tests) and data."""
    engine = regorus.Engine()
    modules = dict(bundle.modules)
    if with_tests:
        modules.update(bundle.test_modules)
    for rel, text in modules.items():
        engine.add_policy(rel, text)
    engine.add_data_json(json.dumps(bundle.data))
    return engine


class RegorusEngine:
    """Evaluates a bundle on regorus; safe to call from any thread."""

    name = "regorus"

    def __init__(self, bundle: PolicyBundle) -> None:
        self.bundle = bundle
        self._key = next(_KEYS)
        self._query_paths: set[str] = set()  # paths that are not rules: use a query instead
        _LIVE.add(self._key)
        weakref.finalize(self, _LIVE.discard, self._key)
        self._thread_engine()  # fail now, not on the first request, if the bundle is broken

    def _thread_engine(self) -> regorus.Engine:
        engines: dict[int, regorus.Engine] | None = getattr(_PER_THREAD, "engines", None)
        if engines is None:
            engines = _PER_THREAD.engines = {}
        engine = engines.get(self._key)
        if engine is None:
            for stale in [key for key in engines if key not in _LIVE]:
                del engines[stale]  # dropped on its own thread, as regorus requires
            try:
                engine = build_regorus(self.bundle)
            except BaseException as exc:
                if _is_fatal(exc):
                    raise
                problem = parse_regorus_error(exc)
                raise EngineError(f"regorus cannot load the bundle: {problem}") from None
            engines[self._key] = engine
        return engine

    def prepare_thread(self) -> None:
        """Build this thread's regorus engine now and let it prepare its modules (see
        ``Engine``): regorus does that on the first query, ~15 ms, so ask a trivial one."""
        engine = self._thread_engine()
        try:
            engine.eval_query("true")
        except BaseException as exc:
            if _is_fatal(exc):
                raise
            problem = parse_regorus_error(exc)
            raise EngineError(f"regorus cannot prepare the bundle: {problem}") from None

    def evaluate(self, input: Mapping[str, Any], path: str = DECISION_PATH) -> Any:
        """Value of ``path`` for ``input``; None when undefined; ``EngineError`` on failure."""
        ref = rego_ref(path)
        document = input_json(input)
        engine = self._thread_engine()
        try:
            engine.set_input_json(document)
            if path not in self._query_paths and is_plain(path):
                try:
                    raw = engine.eval_rule_as_json(path)
                except RuntimeError as exc:
                    if strip_backtrace(str(exc)) != _NOT_A_RULE:
                        raise
                    self._query_paths.add(path)
                else:
                    if raw != _UNDEFINED:
                        return jsontext.loads(raw)
                    # Undefined, or a rule whose value is that very string: ask unambiguously.
            return self._query(engine, ref)
        except BaseException as exc:
            if _is_fatal(exc) or isinstance(exc, EngineError):
                raise
            raise EngineError(f"evaluating {path} failed: {parse_regorus_error(exc)}") from None

    @staticmethod
    def _query(engine: regorus.Engine, ref: str) -> Any:
        results = json.loads(engine.eval_query_as_json(ref)).get("result") or []
        if not results:
            return None
        return results[0]["expressions"][0]["value"]
