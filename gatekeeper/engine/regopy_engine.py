"""The second embedded engine: Microsoft's rego-cpp through ``regopy``.

``Interpreter.query`` recompiles on every call and an interpreter must not be shared between
threads, so each queried path is compiled once into a regopy ``Bundle`` (shared, read-only)
and every thread runs it on its own ``Interpreter``. rego-cpp must be loaded before libstdc++
(see ``native``): a process where that went wrong gets an ``EngineError``, not a crash.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

import regopy
from regopy.rego_shared import (
    NodeKind,
    rego_get_error,
    rego_node_get,
    rego_node_size,
    rego_node_type,
    rego_node_value,
    rego_output_node,
)

from gatekeeper.domain.errors import EngineError
from gatekeeper.engine.base import DECISION_PATH, PolicyBundle
from gatekeeper.engine.bundle import request_modules, without_views
from gatekeeper.engine.diagnostics import parse_regopy_error, shorten
from gatekeeper.engine.native import regopy_load_order_problem
from gatekeeper.engine.refs import rego_ref
from gatekeeper.engine.regorus_engine import input_json

_RESULT = "gatekeeper_result"
_MAX_COMPILED = 64  # compiled paths kept; the Data API could otherwise grow this unbounded


def _error_messages(output: regopy.Output) -> str:
    """Messages (with their codes) from a failed output's error tree."""
    messages: list[str] = []

    def value(node: Any) -> str:
        try:
            return str(rego_node_value(node) or "")
        except Exception:  # nodes without a scalar value (e.g. the error's AST)
            return ""

    def walk(node: Any) -> None:
        kind = rego_node_type(node)
        if kind == NodeKind.Error:
            parts = {}
            for i in range(rego_node_size(node)):
                child = rego_node_get(node, i)
                parts[rego_node_type(child)] = value(child)
            code = parts.get(NodeKind.ErrorCode, "")
            message = shorten(parts.get(NodeKind.ErrorMessage) or "unknown error")
            messages.append(f"{code}: {message}" if code else message)
        elif kind == NodeKind.ErrorSeq:
            for i in range(rego_node_size(node)):
                walk(rego_node_get(node, i))

    try:
        walk(rego_output_node(output._impl))
    except Exception:  # the tree could not be read: still fail closed, with less detail
        return "evaluation failed"
    return "; ".join(messages) or "evaluation failed"


class RegopyEngine:
    """Evaluates a bundle on rego-cpp; safe to call from any thread."""

    name = "regopy"

    def __init__(self, bundle: PolicyBundle) -> None:
        problem = regopy_load_order_problem()
        if problem is not None:
            raise EngineError(f"the regopy engine cannot run in this process: {problem}")
        self.bundle = bundle
        # Without data.views: rego-cpp copies the data for every query, which costs more than
        # the views save (the rules compute what they would look up; same answers).
        self._data_json = json.dumps(without_views(bundle).data)
        self._compiled: dict[str, regopy.Bundle] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._compiled_for(DECISION_PATH)  # fail now if rego-cpp rejects the bundle

    def _compiled_for(self, path: str) -> regopy.Bundle:
        compiled = self._compiled.get(path)
        if compiled is not None:
            return compiled
        with self._lock:
            compiled = self._compiled.get(path)
            if compiled is None:
                compiled = self._build(path)
                if len(self._compiled) >= _MAX_COMPILED:
                    self._compiled.pop(next(iter(self._compiled)))
                self._compiled[path] = compiled
        return compiled

    def _build(self, path: str) -> regopy.Bundle:
        query = f"{_RESULT} = {rego_ref(path)}"
        builder = regopy.Interpreter()
        try:
            for rel, text in request_modules(self.bundle).items():
                builder.add_module(rel, text)
            builder.add_data_json(self._data_json)
            compiled = builder.build(query)
        except regopy.RegoError as exc:
            problem = parse_regopy_error(str(exc), dict(self.bundle.modules))
            raise EngineError(f"regopy cannot compile the bundle: {problem}") from None
        if not compiled.ok():
            problem = parse_regopy_error(rego_get_error(builder._impl), dict(self.bundle.modules))
            raise EngineError(f"regopy cannot compile the bundle: {problem}")
        return compiled

    def _interpreter(self) -> regopy.Interpreter:
        interpreter: regopy.Interpreter | None = getattr(self._local, "interpreter", None)
        if interpreter is None:
            interpreter = regopy.Interpreter()
            # Built-in errors (e.g. division by zero) fail the query, as on regorus.
            interpreter.strict_built_in_errors = True
            self._local.interpreter = interpreter
        return interpreter

    def prepare_thread(self) -> None:
        """Build this thread's interpreter now, evaluating nothing (see ``Engine``)."""
        self._interpreter()

    def evaluate(self, input: Mapping[str, Any], path: str = DECISION_PATH) -> Any:
        """Value of ``path`` for ``input``; None when undefined; ``EngineError`` on failure."""
        document = input_json(input)
        compiled = self._compiled_for(path)
        interpreter = self._interpreter()
        try:
            interpreter.set_input_term(document)
            output = interpreter.query_bundle(compiled)
        except regopy.RegoError as exc:
            raise EngineError(f"evaluating {path} failed: {parse_regopy_error(str(exc))}") from None
        if not output.ok():
            raise EngineError(f"evaluating {path} failed: {_error_messages(output)}")
        if not output.results:
            return None
        return output.results[0].bindings.get(_RESULT)
