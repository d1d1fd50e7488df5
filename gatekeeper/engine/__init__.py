"""Policy engines: load a bundle once, evaluate it for many inputs, on any thread.

``ENGINES`` maps an engine name to its class; ``opa`` (evaluation on an OPA server) also needs
the server's address, which ``create_engine`` passes on.

regopy is imported first on purpose: rego-cpp must be loaded before any other C++ extension
brings in libstdc++ (see ``gatekeeper.engine.native``).

regorus captures a Rust backtrace for every error it creates when ``RUST_BACKTRACE`` is set
(as on many developer and CI machines), also for errors it handles itself while compiling; we
strip backtraces from every message anyway, so ``RUST_LIB_BACKTRACE=0`` turns the capture
off for this process unless the operator set it (panics still print theirs).
"""

from __future__ import annotations

import os

os.environ.setdefault("RUST_LIB_BACKTRACE", "0")  # before regorus creates its first error

import regopy  # noqa: F401  # isort: skip - load order matters, see above

from collections.abc import Callable

from gatekeeper.domain.errors import EngineError
from gatekeeper.engine.base import DECISION_PATH, Engine, PolicyBundle
from gatekeeper.engine.bundle import load_bundle
from gatekeeper.engine.opa_server import OpaServer
from gatekeeper.engine.regopy_engine import RegopyEngine
from gatekeeper.engine.regorus_engine import RegorusEngine
from gatekeeper.engine.rvm_engine import RvmEngine

DEFAULT_ENGINE = "regorus-rvm"  # serving and impact; regorus stays the reference in check
REFERENCE_ENGINE = "regorus"
OPA_ENGINE = "opa"  # evaluates on an OPA server (docs/opa.md)

def _opa_engine(bundle: PolicyBundle, opa: OpaServer | None = None) -> Engine:
    # Imported when asked for: its HTTP clients take ~0.2 s to import, on every command.
    from gatekeeper.engine.opa_engine import OpaEngine

    return OpaEngine(bundle, opa)


ENGINES: dict[str, Callable[..., Engine]] = {
    "opa": _opa_engine,
    "regorus": RegorusEngine,
    "regopy": RegopyEngine,
    "regorus-rvm": RvmEngine,
}

# In-process engines: everything but ``opa``, which needs a server.
EMBEDDED_ENGINES: tuple[str, ...] = tuple(sorted(n for n in ENGINES if n != OPA_ENGINE))


def create_engine(name: str, bundle: PolicyBundle, *, opa: OpaServer | None = None) -> Engine:
    """The engine called ``name`` for ``bundle``; an unknown name lists the choices. ``opa``:
    the OPA server engine ``opa`` evaluates on (the embedded engines ignore it)."""
    factory = ENGINES.get(name)
    if factory is None:
        choices = ", ".join(sorted(ENGINES))
        raise EngineError(f"unknown engine {name!r}; choose one of: {choices}")
    if name == OPA_ENGINE:
        return _opa_engine(bundle, opa)
    return factory(bundle)


__all__ = [
    "DECISION_PATH",
    "DEFAULT_ENGINE",
    "EMBEDDED_ENGINES",
    "ENGINES",
    "OPA_ENGINE",
    "REFERENCE_ENGINE",
    "Engine",
    "OpaServer",
    "PolicyBundle",
    "create_engine",
    "load_bundle",
]
