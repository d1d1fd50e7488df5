"""Decision logs an operator can ship: OPA's decision-log event shape, masked by policy, sent
to an HTTP collector in gzipped batches from a background thread.

The decision path only puts a tuple on a bounded queue (``record``): no JSON, no masking, no
network. When the queue is full the event is dropped and counted
(``gatekeeper_decision_logs_dropped_total{reason="buffer_full"}``), so a collector that is
down or slow never slows a decision. The shipper thread builds each event, asks the policy
that made the decision which fields to erase or replace (``data.gatekeeper.log.mask``, as
OPA's ``system.log.mask``), and POSTs batches as a gzipped JSON array, retrying with backoff;
a batch that still cannot be delivered is dropped and counted (``undeliverable``).
"""

from __future__ import annotations

import copy
import gzip
import queue
import socket
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import requests
import structlog

from gatekeeper import jsontext
from gatekeeper.domain import Decision, GatekeeperError, Principal
from gatekeeper.engine.base import DECISION_PATH, Engine
from gatekeeper.service import metrics
from gatekeeper.service.policy_source import shown_url

log = structlog.get_logger(__name__)

MASK_PATH = "data.gatekeeper.log.mask"
BATCH_EVENTS = 500  # events in one POST at most
FLUSH_SECONDS = 1.0  # a partial batch waits at most this long
RETRIES = 4  # tries after the first, backing off 0.5, 1, 2, 4 s
TIMEOUT_SECONDS = 5.0
STOP_SECONDS = 5.0

# What the decision path hands over: (engine, revision, input, decision, who, nanoseconds, at)
Pending = tuple[Engine, str, Mapping[str, Any], Decision, Principal, int, float]


def opa_event(engine: Engine, revision: str, engine_input: Mapping[str, Any],
              decision: Decision, principal: Principal, eval_ns: int, at: float,
              instance: str, *, copy_input: bool = True) -> dict[str, Any]:
    """One decision in OPA's decision-log shape (before masking). The input is copied
    unless ``copy_input`` is false (an event logged at once: masking copies what it changes)."""
    return {
        "labels": {"id": instance, "app": "gatekeeper", "engine": engine.name},
        "decision_id": decision.decision_id,
        "path": DECISION_PATH.removeprefix("data.").replace(".", "/"),
        "input": copy.deepcopy(dict(engine_input)) if copy_input else engine_input,
        "result": decision.to_dict(),
        "bundles": {"gatekeeper": {"revision": revision}},
        "requested_by": principal.subject,
        "timestamp": datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z"),
        "metrics": {"timer_rego_query_eval_ns": eval_ns},
    }


def _parent(doc: dict[str, Any], pointer: str) -> tuple[Any, str] | None:
    """The container holding ``pointer``'s last part, and that part; None when the pointer
    is malformed or its parent does not exist. Every container on the way is replaced by a
    shallow copy, so masking never changes what the event was built from."""
    if not pointer.startswith("/"):
        return None
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]
    node: Any = doc
    for part in parts[:-1]:
        if isinstance(node, dict) and part in node:
            key: str | int = part
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            key = int(part)
        else:
            return None
        child = node[key]
        if isinstance(child, dict | list):
            child = node[key] = child.copy()
        node = child
    return node, parts[-1]


def apply_mask(event: dict[str, Any], rules: Any) -> dict[str, Any]:
    """Apply the policy's mask rules to ``event``: a JSON pointer (text) erases that
    field, ``{"op": "upsert", "path", "value"}`` sets it, ``{"op": "remove", "path"}``
    erases it. Only ``/input`` and ``/result`` may be touched; the event lists what was
    ``erased`` and ``masked``, as OPA's does."""
    erased: list[str] = []
    masked: list[str] = []
    for rule in rules if isinstance(rules, list) else []:
        op, path = ("remove", rule) if isinstance(rule, str) else (
            rule.get("op", "remove"), rule.get("path")) if isinstance(rule, dict) else ("", "")
        if not isinstance(path, str) or not path.startswith(("/input/", "/result/")):
            continue
        found = _parent(event, path)
        if found is None:
            continue
        node, key = found
        if op == "remove" and isinstance(node, dict) and key in node:
            del node[key]
            erased.append(path)
        elif op == "upsert" and isinstance(node, dict):
            node[key] = rule.get("value")
            masked.append(path)
    if erased:
        event["erased"] = sorted(erased)
    if masked:
        event["masked"] = sorted(masked)
    return event


def masked(engine: Engine, event: dict[str, Any], decision_id: str) -> dict[str, Any]:
    """``event`` masked in place by the rules of the bundle that decided
    (``data.gatekeeper.log.mask``; none when the bundle has no such package). Fail closed:
    when the rules cannot be evaluated, the event keeps no input at all."""
    try:
        rules = engine.evaluate(event, MASK_PATH)
    except GatekeeperError as exc:
        log.error("decision_log_mask_failed", decision_id=decision_id, error=str(exc))
        event.pop("input", None)
        event["erased"] = ["/input"]
        return event
    return apply_mask(event, rules)


class DecisionLog:
    """The bounded buffer and the shipper thread; ``url=None`` turns shipping off (then
    ``record`` returns at once)."""

    def __init__(self, url: str | None, buffer: int, *, instance: str | None = None,
                 session: requests.Session | None = None,
                 backoff_seconds: float = 0.5) -> None:
        self.url = url
        self.enabled = url is not None
        self.instance = instance or socket.gethostname()
        self.backoff_seconds = backoff_seconds
        self._queue: queue.Queue[Pending] = queue.Queue(maxsize=buffer)
        self._session = session
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    # -- the decision path ---------------------------------------------------------------

    def record(self, engine: Engine, revision: str, engine_input: Mapping[str, Any],
               decision: Decision, principal: Principal, eval_ns: int) -> None:
        """Hand one decision to the shipper; never blocks, never raises."""
        if not self.enabled:
            return
        if self._thread is None:
            self.start()
        try:
            self._queue.put_nowait((engine, revision, engine_input, decision, principal,
                                    eval_ns, time.time()))
        except queue.Full:
            metrics.DECISION_LOGS_DROPPED.labels("buffer_full").inc()

    @property
    def buffered(self) -> int:
        """Events waiting for the shipper."""
        return self._queue.qsize()

    # -- the shipper ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the shipper thread in this process (once; started lazily by ``record``)."""
        if not self.enabled:
            return
        with self._start_lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="gatekeeper-decision-log",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Send what is buffered (one try a batch), then end the thread."""
        self._stopping.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        session = self._session or requests.Session()
        while True:
            batch = self._take()
            if batch:
                self._send(session, batch)
            elif self._stopping.is_set():
                break

    def _take(self) -> list[dict[str, Any]]:
        """Up to ``BATCH_EVENTS`` events, waiting at most ``FLUSH_SECONDS`` for the batch."""
        batch: list[dict[str, Any]] = []
        deadline = time.monotonic() + FLUSH_SECONDS
        while len(batch) < BATCH_EVENTS:
            wait = 0.0 if self._stopping.is_set() else max(0.0, deadline - time.monotonic())
            try:
                pending = self._queue.get(timeout=wait) if wait else self._queue.get_nowait()
            except queue.Empty:
                break
            batch.append(self._event(pending))
        return batch

    def _event(self, pending: Pending) -> dict[str, Any]:
        engine, revision, engine_input, decision, principal, eval_ns, at = pending
        event = opa_event(engine, revision, engine_input, decision, principal, eval_ns, at,
                          self.instance)
        return masked(engine, event, decision.decision_id)

    def _send(self, session: requests.Session, batch: list[dict[str, Any]]) -> None:
        body = gzip.compress(jsontext.dumps_sorted(batch), compresslevel=5)
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        tries = 1 if self._stopping.is_set() else RETRIES + 1
        problem = ""
        for attempt in range(tries):
            try:
                response = session.post(str(self.url), data=body, headers=headers,
                                        timeout=TIMEOUT_SECONDS)
                if response.status_code < 300:
                    metrics.DECISION_LOGS_SENT.inc(len(batch))
                    return
                problem = f"the collector answered {response.status_code}"
            except requests.RequestException as exc:
                problem = f"the collector cannot be reached ({type(exc).__name__})"
            if attempt + 1 < tries and self._stopping.wait(self.backoff_seconds * 2 ** attempt):
                break  # stopping: no more waiting
        metrics.DECISION_LOGS_DROPPED.labels("undeliverable").inc(len(batch))
        log.warning("decision_logs_dropped", events=len(batch), reason=problem,
                    collector=shown_url(str(self.url)))
