"""Holds the loaded bundle and its engine; a failed reload keeps the last good one serving."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from gatekeeper.domain import UnavailableError
from gatekeeper.domain.errors import BundleError
from gatekeeper.engine import DEFAULT_ENGINE, OpaServer, create_engine
from gatekeeper.engine.base import Engine, PolicyBundle
from gatekeeper.service import metrics
from gatekeeper.service.policy_source import PolicySource, open_source
from gatekeeper.service.verdicts import SharedVerdicts

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class LoadedPolicy:
    """A bundle and the engine compiled from it, swapped as one."""

    bundle: PolicyBundle
    engine: Engine
    loaded_at: float = 0.0  # Unix time


@dataclass(frozen=True)
class Refusal:
    """A bundle that was not served, and why."""

    revision: str | None  # None when it did not load far enough to have one
    reason: str
    at: float


Vet = Callable[[PolicyBundle, Engine], None]


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class PolicyStore:
    """Loads policies from a folder, archive or URL with the configured engine; thread-safe
    swaps.

    ``vet`` may refuse a loaded bundle before it serves (raising, as a bundle that does not
    load): the composition root uses it to compare a fast engine with the reference.
    ``reload_vet`` is applied on reloads only (a bundle's own Rego tests: one dropped in
    place has not been through ``gatekeeper check``). ``opa``: the OPA server of engine
    ``opa``."""

    def __init__(self, policies: str | Path | PolicySource, engine_name: str = DEFAULT_ENGINE,
                 vet: Vet | None = None, reload_vet: Vet | None = None,
                 opa: OpaServer | None = None) -> None:
        self.source = open_source(policies) if isinstance(policies, str | Path) else policies
        self.policies_dir = self.source.location
        self.engine_name = engine_name
        self.vet = vet
        self.reload_vet = reload_vet
        self.opa = opa
        self._current: LoadedPolicy | None = None
        self._lock = threading.Lock()  # swaps
        self._reloading = threading.Lock()  # one reload at a time
        self._fingerprint: str | None = None
        self.last_error: str | None = None
        self.last_refused: Refusal | None = None
        # Set by serve in each worker: the workers share one verdict a revision.
        self.verdicts: SharedVerdicts | None = None

    def _build(self, bundle: PolicyBundle, vets: tuple[Vet | None, ...]) -> LoadedPolicy:
        loaded = LoadedPolicy(bundle, create_engine(self.engine_name, bundle, opa=self.opa),
                              time.time())

        def run() -> None:
            log.debug("policy_checks_started", revision=bundle.revision)
            for vet in vets:
                if vet is not None:
                    vet(loaded.bundle, loaded.engine)

        if self.verdicts is None:
            run()
        else:
            self.verdicts.check(f"{self.engine_name}-{bundle.revision}", bundle.root, run)
        return loaded

    def _swap(self, loaded: LoadedPolicy, trigger: str, seconds: float = 0.0) -> None:
        with self._lock:
            previous = self._current
            self._current = loaded
            self.last_error = None
        metrics.served(loaded.bundle.revision, previous.bundle.revision if previous else None,
                       loaded.loaded_at)
        log.info("policy_loaded", policies=self.source.location, engine=self.engine_name,
                 revision=loaded.bundle.revision, trigger=trigger, seconds=round(seconds, 2),
                 replaced=previous.bundle.revision if previous else None)

    def load(self) -> LoadedPolicy:
        """Load and compile the bundle; on error keep what was serving and re-raise."""
        with self._reloading:
            fingerprint = self.source.fingerprint()
            try:
                bundle = self.source.fetch()
                if bundle is None:
                    raise BundleError(self.source.location, "the bundle server sent no bundle")
                loaded = self._build(bundle, (self.vet,))
            except Exception as exc:
                self.last_error = str(exc)
                log.error("policy_load_failed", policies=self.source.location, error=str(exc))
                raise
            self._fingerprint = fingerprint
            self._swap(loaded, "start")
            return loaded

    def reload(self, trigger: str = "poll", force: bool = False) -> str:
        """Look for a new bundle and serve it if it passes every check; never raises.

        Returns ``unchanged``, ``loaded`` or ``refused``. Unless ``force``d (a signal), a
        source whose fingerprint has not moved since the last look is not read at all, and
        a refused bundle is not tried again until it changes."""
        with self._reloading:
            fingerprint = self.source.fingerprint()
            if not force and fingerprint is not None and fingerprint == self._fingerprint:
                return "unchanged"
            revision: str | None = None
            started = time.perf_counter()
            try:
                bundle = self.source.fetch()
                current = self._current
                if bundle is None or (current is not None
                                      and bundle.revision == current.bundle.revision):
                    self._fingerprint = fingerprint
                    return "unchanged"
                revision = bundle.revision
                loaded = self._build(bundle, (self.vet, self.reload_vet))
            except Exception as exc:
                self._fingerprint = fingerprint
                return self._refuse(revision, str(exc) or type(exc).__name__, trigger)
            self._fingerprint = fingerprint
            self._swap(loaded, trigger, time.perf_counter() - started)
            metrics.POLICY_RELOADS.labels("loaded", trigger).inc()
            return "loaded"

    def _refuse(self, revision: str | None, reason: str, trigger: str) -> str:
        refusal = Refusal(revision, reason, time.time())
        repeated = self.last_refused is not None and self.last_refused.reason == reason
        self.last_refused = refusal
        if self._current is None:
            self.last_error = reason
        metrics.POLICY_RELOADS.labels("refused", trigger).inc()
        # A URL that stays down is refused on every poll: said once, until the reason changes.
        (log.debug if repeated else log.error)(
            "policy_reload_refused", policies=self.source.location, revision=revision,
            reason=reason, trigger=trigger,
            serving=self._current.bundle.revision if self._current else None)
        return "refused"

    def status(self) -> dict[str, Any]:
        """What ``GET /v1/status`` shows about the policy: serving and last refused."""
        loaded = self._current
        refused = self.last_refused
        return {
            "source": self.source.location,
            "engine": self.engine_name,
            "revision": loaded.bundle.revision if loaded else None,
            "loaded_at": _stamp(loaded.loaded_at) if loaded else None,
            "last_refused": None if refused is None else {
                "revision": refused.revision, "reason": refused.reason,
                "at": _stamp(refused.at)},
        }

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


def policy_tests_pass(bundle: PolicyBundle, _engine: Engine) -> None:
    """A reload's vet: the bundle's own Rego tests must pass (BundleError naming the first
    failures otherwise)."""
    from gatekeeper.engine.policy_tests import run_policy_tests

    report = run_policy_tests(bundle, coverage=False)
    if not report.ok:
        failed = report.failures()
        named = ", ".join(f"{t.full_name} ({t.location})" for t in failed[:3])
        more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
        raise BundleError(bundle.root, f"{len(failed)} policy test(s) failed: {named}{more}")
