"""Holds the loaded bundle and its engine; a failed reload keeps the last good one serving."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import structlog

from gatekeeper.domain import UnavailableError
from gatekeeper.engine import DEFAULT_ENGINE, OpaServer, create_engine
from gatekeeper.engine.base import Engine, PolicyBundle
from gatekeeper.engine.bundle_archive import load_policy_source

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class LoadedPolicy:
    """A bundle and the engine compiled from it, swapped as one."""

    bundle: PolicyBundle
    engine: Engine


Vet = Callable[[PolicyBundle, Engine], None]


class PolicyStore:
    """Loads policies from a folder, an OPA bundle archive or its URL with the configured
    engine; thread-safe swaps.

    ``vet`` may refuse a loaded bundle before it serves (raising, as a bundle that does not
    load): the composition root uses it to compare a fast engine with the reference.
    ``opa``: the OPA server of engine ``opa``."""

    def __init__(self, policies_dir: str | Path, engine_name: str = DEFAULT_ENGINE,
                 vet: Vet | None = None, opa: OpaServer | None = None) -> None:
        self.policies_dir = policies_dir if isinstance(policies_dir, str) and "://" in \
            policies_dir else Path(policies_dir)
        self.engine_name = engine_name
        self.vet = vet
        self.opa = opa
        self._current: LoadedPolicy | None = None
        self._lock = threading.Lock()
        self.last_error: str | None = None

    def load(self) -> LoadedPolicy:
        """Load and compile the bundle; on error keep what was serving and re-raise."""
        try:
            bundle = load_policy_source(self.policies_dir)
            loaded = LoadedPolicy(bundle, create_engine(self.engine_name, bundle, opa=self.opa))
            if self.vet is not None:
                self.vet(loaded.bundle, loaded.engine)
        except Exception as exc:
            self.last_error = str(exc)
            log.error("policy_load_failed", policies=str(self.policies_dir), error=str(exc))
            raise
        with self._lock:
            previous = self._current
            self._current = loaded
            self.last_error = None
        log.info(
            "policy_loaded",
            policies=str(self.policies_dir),
            engine=self.engine_name,
            revision=bundle.revision,
            replaced=previous.bundle.revision if previous else None,
        )
        return loaded

    @property
    def ready(self) -> bool:
        return self._current is not None

    @property
    def current(self) -> LoadedPolicy:
        """The serving bundle; UnavailableError when none ever loaded (fail closed)."""
        loaded = self._current
        if loaded is None:
            raise UnavailableError(
                f"no policy bundle is loaded from {self.policies_dir}: {self.last_error}"
            )
        return loaded
