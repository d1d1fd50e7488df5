"""The service's Prometheus metrics (``prometheus_client``), one place for every name.

Under ``gatekeeper serve`` each gunicorn worker writes its samples to files in
``PROMETHEUS_MULTIPROC_DIR`` (serve sets it before the metrics are built) and a scrape adds
up all workers' files; elsewhere (tests, ``flask run``) the default registry serves them.
Updating a metric is a dictionary look-up and an addition: cheap enough for the decision path.
Names are snake_case with the ``gatekeeper_`` prefix; docs/operations.md lists them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Decisions take milliseconds: the buckets are finer than prometheus_client's defaults.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


_BUILDING = threading.Lock()


def _build() -> dict[str, Any]:
    """Every metric, built on first use: ``prometheus_client`` picks in-process or
    multiprocess storage when it is imported, so it is imported only after ``serve`` has set
    PROMETHEUS_MULTIPROC_DIR (importing the CLI must not import it)."""
    from prometheus_client import Counter, Gauge, Histogram

    return {
        "DECISIONS": Counter("gatekeeper_decisions", "Decisions made, by outcome and engine",
                             ("outcome", "engine")),
        "DECISION_SECONDS": Histogram(
            "gatekeeper_decision_duration_seconds", "Time the engine took to decide, by engine",
            ("engine",), buckets=LATENCY_BUCKETS),
        "ENGINE_ERRORS": Counter(
            "gatekeeper_engine_errors", "Decisions that failed closed, by engine and kind "
            "(engine_error: evaluation raised; undefined: no decision)", ("engine", "kind")),
        "HTTP_REQUESTS": Counter(
            "gatekeeper_http_requests", "HTTP requests answered, by route, method and status",
            ("route", "method", "status")),
        "HTTP_SECONDS": Histogram(
            "gatekeeper_http_request_duration_seconds",
            "Time from the request reaching the app to its answer, by route",
            ("route", "method"), buckets=LATENCY_BUCKETS),
        "POLICY_RELOADS": Counter(
            "gatekeeper_policy_reloads", "Policy reloads that found a new bundle, by result "
            "(loaded, refused) and trigger (poll, signal, worker_start), counted per worker",
            ("result", "trigger")),
        "POLICY_REVISION": Gauge(
            "gatekeeper_policy_revision_info", "1 for the revision a worker serves, 0 for one "
            "it served before", ("revision",), multiprocess_mode="liveall"),
        "POLICY_LOADED_AT": Gauge(
            "gatekeeper_policy_loaded_timestamp_seconds",
            "When the serving bundle was loaded (Unix time)", multiprocess_mode="liveall"),
        "LEDGER_TRANSITIONS": Counter(
            "gatekeeper_ledger_transitions",
            "Requests recorded or moved into a state, by that state", ("state",)),
        "SIGN_IN_THROTTLED": Counter(
            "gatekeeper_sign_in_throttled",
            "Sign-ins refused because the name or address is paused"),
        "DECISION_LOGS_SENT": Counter(
            "gatekeeper_decision_logs_sent", "Decision-log events delivered to the collector"),
        "DECISION_LOGS_DROPPED": Counter(
            "gatekeeper_decision_logs_dropped", "Decision-log events dropped, by reason "
            "(buffer_full: the buffer was full; undeliverable: retries ran out)", ("reason",)),
    }


def __getattr__(name: str) -> Any:
    """``metrics.DECISIONS`` and the others: built together on the first look-up."""
    if not name.isupper():
        raise AttributeError(name)
    with _BUILDING:
        if "DECISIONS" not in globals():
            globals().update(_build())
    try:
        return globals()[name]
    except KeyError:
        raise AttributeError(name) from None


def served(revision: str, previous: str | None, loaded_at: float) -> None:
    """Record a worker's switch to ``revision``."""
    gauge = __getattr__("POLICY_REVISION")
    if previous is not None and previous != revision:
        gauge.labels(previous).set(0)
    gauge.labels(revision).set(1)
    __getattr__("POLICY_LOADED_AT").set(loaded_at)


class CountedLedger:
    """The ledger as the request service uses it, counting each request it records or moves
    (``gatekeeper_ledger_transitions_total``) by the state the request lands in."""

    def __init__(self, ledger: Any) -> None:
        self._ledger = ledger

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ledger, name)

    def create(self, new: Any) -> Any:
        result = self._ledger.create(new)
        __getattr__("LEDGER_TRANSITIONS").labels(new.record.state).inc()
        return result

    def transition(self, request_id: str, step: Any) -> Any:
        record = self._ledger.transition(request_id, step)
        __getattr__("LEDGER_TRANSITIONS").labels(record.state).inc()
        return record


# (kind -> state -> how many, age in seconds of the oldest pending item or None)
OutboxFigures = Callable[[], tuple[dict[str, dict[str, int]], float | None]]


class OutboxCollector:  # a prometheus_client custom collector
    """Reads the outbox's depth at scrape time (one query, in the scraping worker)."""

    def __init__(self, figures: OutboxFigures) -> None:
        self.figures = figures

    def collect(self) -> Iterable[Any]:
        from prometheus_client.core import GaugeMetricFamily

        try:
            depth, oldest = self.figures()
        except Exception:  # a database that is down must not fail the whole scrape
            return []
        by_state = GaugeMetricFamily("gatekeeper_outbox_items", "Outbox items by kind (event, "
                                     "message) and state (pending, sent, dead)",
                                     labels=("kind", "state"))
        for kind, states in sorted(depth.items()):
            for state, count in sorted(states.items()):
                by_state.add_metric((kind, state), count)
        age = GaugeMetricFamily("gatekeeper_outbox_oldest_pending_age_seconds",
                                "Age of the oldest item not yet delivered (0: none)")
        age.add_metric((), oldest or 0.0)
        return [by_state, age]


def exposition(outbox: OutboxFigures | None = None) -> tuple[bytes, str]:
    """The text a scrape gets: every worker's samples (multiprocess) or this process's."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    registry = CollectorRegistry()
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client.multiprocess import MultiProcessCollector

        MultiProcessCollector(registry)
    else:
        registry.register(_Default())
    if outbox is not None:
        registry.register(OutboxCollector(outbox))
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Default:
    """The default registry's metrics, re-collected into a scrape's own registry."""

    def collect(self) -> Iterable[Any]:
        from prometheus_client import REGISTRY

        return REGISTRY.collect()


def process_dead(pid: int) -> None:
    """A worker exited: drop its live-only gauges from the multiprocess files."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
