"""The engine contract: evaluate a policy bundle for an input, nothing about HTTP or storage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

DECISION_PATH = "data.gatekeeper.decision"
# Rules packages that did not produce what they announced: why a decision is undefined.
UNANNOUNCED_PATH = "data.gatekeeper.unannounced"


@dataclass(frozen=True)
class PolicyBundle:
    """A loaded, validated bundle: Rego modules (path -> text), merged data, and its revision.

    ``revision`` is a content hash over every module and data file, so two checkouts of the
    same policy give the same revision and any edit gives a new one.
    """

    root: str
    modules: Mapping[str, str]
    data: Mapping[str, Any]
    revision: str
    test_modules: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class Engine(Protocol):
    """Evaluates queries against one bundle. Implementations must be safe to call from any
    thread (each keeps per-thread interpreters where the library demands it) and must raise
    ``EngineError`` -- never return a partial answer -- when evaluation fails."""

    name: str
    bundle: PolicyBundle

    def evaluate(self, input: Mapping[str, Any], path: str = DECISION_PATH) -> Any:
        """Evaluate ``path`` (e.g. ``data.gatekeeper.decision``) for ``input``; JSON value or
        None when undefined."""
        ...

    def prepare_thread(self) -> None:
        """Build (and prepare) the calling thread's interpreter now, so its first request does
        not pay for it (``gatekeeper serve`` warms every worker thread); ``EngineError`` when
        it cannot be built. Evaluates no policy rule."""
        ...
