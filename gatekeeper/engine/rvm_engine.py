"""The compiled regorus engine: the decision compiled once per bundle, run on per-thread VMs.

``regorus.Program.compile_from_modules`` turns the bundle into RVM bytecode once; the program
is kept as bytes (``serialize_binary``) because a ``Program`` and an ``Rvm`` may only be used
-- and dropped -- on the thread that made them. Each thread deserialises its own program into
its own ``Rvm``, sets the data once, and per request only sets the input and executes.

Only ``COMPILED_PATHS`` run on the VM; every other path (the Data API, tests) is answered by a
``RegorusEngine`` on the same bundle, which is also asked whenever the VM says "undefined":
that keeps "undefined" unambiguous and turns a runtime error the VM would swallow into the
``EngineError`` the interpreter raises.

RVM differs from the interpreter on a few constructs (docs/policy-contract.md, "regorus RVM");
a bundle that uses one is refused with the places to change, never answered wrongly.
"""

from __future__ import annotations

import functools
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
from gatekeeper.engine.diagnostics import parse_regorus_error
from gatekeeper.engine.rego_ast import parse_ast
from gatekeeper.engine.regorus_engine import RegorusEngine, input_json
from gatekeeper.engine.rvm_check import Hazard, rvm_hazards

COMPILED_PATHS = (DECISION_PATH,)
_UNDEFINED = '"<undefined>"'
_SHOWN_HAZARDS = 3

_PER_THREAD = threading.local()  # .vms: dict[int, tuple[regorus.Program, regorus.Rvm]]
_LIVE: set[int] = set()  # keys of RvmEngine instances still alive
_KEYS = itertools.count(1)


def _is_fatal(exc: BaseException) -> bool:
    return isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit)


def _problem(exc: BaseException) -> str:
    return str(parse_regorus_error(exc))


@functools.lru_cache(maxsize=8)
def _hazards(modules: tuple[tuple[str, str], ...]) -> tuple[Hazard, ...]:
    """The RVM hazards of these modules (file, text): a function of the Rego alone, kept
    per process, so the two sides of ``gatekeeper impact`` that share their policy (a data
    change) and a reload of unchanged modules check them once (~0.35 s a check)."""
    engine = regorus.Engine()
    for file, text in modules:
        engine.add_policy(file, text)
    return tuple(rvm_hazards(parse_ast(engine.get_ast_as_json()), {f for f, _ in modules}))


class RvmEngine:
    """Evaluates a bundle's decision on regorus' compiled VM; safe to call from any thread."""

    name = "regorus-rvm"

    def __init__(self, bundle: PolicyBundle) -> None:
        self.bundle = bundle
        # Other paths, and the exact answer when the VM says undefined. Built first: a broken
        # bundle is reported by the interpreter, with its usual message.
        self._interpreter = RegorusEngine(bundle)
        self._refuse_hazards()
        self._data_json = json.dumps(bundle.data)
        self._program = self._serialised_program()
        self._key = next(_KEYS)
        _LIVE.add(self._key)
        weakref.finalize(self, _LIVE.discard, self._key)
        self._thread_vm()  # fail now, not on the first request

    def _refuse_hazards(self) -> None:
        hazards = _hazards(tuple(sorted(self.bundle.modules.items())))
        if hazards:
            shown = "; ".join(str(h) for h in hazards[:_SHOWN_HAZARDS])
            more = len(hazards) - _SHOWN_HAZARDS
            tail = f" (and {more} more)" if more > 0 else ""
            raise EngineError(
                f"regorus-rvm would answer this bundle differently from regorus: {shown}{tail}. "
                "See docs/policy-contract.md (regorus RVM) or use the regorus engine."
            )

    def _compile(self) -> regorus.Program:
        try:
            return regorus.Program.compile_from_modules(
                self._data_json, list(self.bundle.modules.items()), list(COMPILED_PATHS)
            )
        except BaseException as exc:
            if _is_fatal(exc):
                raise
            raise EngineError(f"regorus-rvm cannot compile the bundle: {_problem(exc)}") from None

    def _serialised_program(self) -> bytes:
        program = self._compile()
        try:
            return bytes(program.serialize_binary())
        except BaseException as exc:
            if _is_fatal(exc):
                raise
            raise EngineError(f"regorus-rvm cannot store the program: {_problem(exc)}") from None

    def _thread_vm(self) -> regorus.Rvm:
        vms: dict[int, tuple[regorus.Program, regorus.Rvm]] | None = getattr(
            _PER_THREAD, "vms", None
        )
        if vms is None:
            vms = _PER_THREAD.vms = {}
        entry = vms.get(self._key)
        if entry is None:
            for stale in [key for key in vms if key not in _LIVE]:
                del vms[stale]  # dropped on its own thread, as regorus requires
            try:
                program, partial = regorus.Program.deserialize_binary(self._program)
                if partial:  # the binary held only sources: compile them here
                    program = self._compile()
                vm = regorus.Rvm()
                vm.load_program(program)
                vm.set_data_json(self._data_json)
            except BaseException as exc:
                if _is_fatal(exc) or isinstance(exc, EngineError):
                    raise
                raise EngineError(f"regorus-rvm cannot load the program: {_problem(exc)}") from None
            entry = vms[self._key] = (program, vm)
        return entry[1]

    def prepare_thread(self) -> None:
        """Build this thread's VM and its fallback interpreter now (see ``Engine``)."""
        self._interpreter.prepare_thread()
        self._thread_vm()

    def _forget_thread_vm(self) -> None:
        """Drop this thread's VM after a failure; the next request builds a fresh one."""
        vms = getattr(_PER_THREAD, "vms", None)
        if vms is not None:
            vms.pop(self._key, None)

    def evaluate(self, input: Mapping[str, Any], path: str = DECISION_PATH) -> Any:
        """Value of ``path`` for ``input``; None when undefined; ``EngineError`` on failure."""
        if path not in COMPILED_PATHS:
            return self._interpreter.evaluate(input, path)
        raw = self.evaluate_text(input_json(input), path)
        if raw is None:
            # Undefined, an error the VM turned into undefined, or that very string: the
            # interpreter answers exactly (and raises on the error).
            return self._interpreter.evaluate(input, path)
        return decode(raw, path)

    def evaluate_text(self, document: str, path: str = DECISION_PATH) -> str | None:
        """The VM's JSON text of ``path`` (one of ``COMPILED_PATHS``) for an input already
        serialised by ``input_json``; None when the VM says undefined, where only
        :meth:`evaluate` answers exactly. Lets a caller that evaluates one input on several
        bundles serialise it once and compare answers as text."""
        vm = self._thread_vm()
        try:
            vm.set_input_json(document)
            raw = vm.execute_entry_point(path)
        except BaseException as exc:
            if _is_fatal(exc):
                raise
            self._forget_thread_vm()
            raise EngineError(f"evaluating {path} failed: {_problem(exc)}") from None
        return None if raw == _UNDEFINED else str(raw)


def decode(raw: str, path: str = DECISION_PATH) -> Any:
    """The value of the VM's JSON text; ``EngineError`` when it is not JSON."""
    try:
        return jsontext.loads(raw)
    except ValueError as exc:
        raise EngineError(f"evaluating {path} failed: bad JSON from the VM ({exc})") from None
