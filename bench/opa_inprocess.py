"""OPA itself, in process, as a yardstick for the embedded engines: benchmarks only.

The ``opa-golib-python-bindings`` wheel wraps OPA's Go library in a shared object and calls it
through ctypes. It is never a dependency of Gatekeeper: it declares Python >= 3.14 although it
runs on 3.11, so ``make bench-engines`` installs it into the benchmark's environment with
``pip install --ignore-requires-python``, and only bench code imports this module.

``OpaInProcess`` loads the same modules and data as the served engines (``PolicyBundle``) and
answers ``data.gatekeeper.decision`` for an input, so its answers can be compared with the
embedded engine's and its cost set beside theirs. The wheel serialises the input with the
standard library's ``json`` and parses OPA's answer envelope the same way; that is part of
what a caller of OPA in process pays, so it is part of the measured figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatekeeper.domain.errors import EngineError
from gatekeeper.engine.base import DECISION_PATH, PolicyBundle

WHEEL = "opa-golib-python-bindings==0.4.4"
INSTALL = f".venv/bin/pip install --ignore-requires-python '{WHEEL}'"


def missing() -> str | None:
    """Why OPA cannot run here (the wheel is not installed), or None when it can."""
    try:
        import opa_bindings  # noqa: F401
    except ImportError as exc:
        return f"OPA in process unavailable ({exc}); install it with: {INSTALL}"
    return None


class OpaInProcess:
    """The ``Engine`` contract on OPA's Go library: one OPA instance holding the bundle.

    The wheel serialises evaluations on one instance with a lock, which is enough for a
    single-threaded benchmark; it is not meant to serve.
    """

    name = "opa"

    def __init__(self, bundle: PolicyBundle) -> None:
        from opa_bindings import OpaEngine, OpaError

        self.bundle = bundle
        self._errors = OpaError
        self._opa = OpaEngine()
        try:
            for path, text in bundle.modules.items():
                self._opa.add_policy(path, text)
            self._opa.add_data(dict(bundle.data))
        except OpaError as exc:
            raise EngineError(f"OPA cannot load the bundle: {exc}") from None

    def prepare_thread(self) -> None:
        """Nothing to build per thread: the one OPA instance prepares a query on first use."""

    def evaluate(self, input: Mapping[str, Any], path: str = DECISION_PATH) -> Any:
        """Value of ``path`` (``data.a.b``) for ``input``; None when undefined; ``EngineError``
        when OPA fails."""
        from opa_bindings import OpaUndefinedError

        document = path.removeprefix("data.").removeprefix("data")
        try:
            return self._opa.eval_document(document, dict(input))
        except OpaUndefinedError:
            return None
        except self._errors as exc:
            raise EngineError(f"OPA evaluating {path} failed: {exc}") from None

    def close(self) -> None:
        """Release the Go side's instance."""
        self._opa.close()
