"""Operator endpoints: ``GET /metrics`` (Prometheus) and ``GET /v1/status`` (what this worker
serves: policy revision, when it was loaded, the last bundle it refused and why)."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue

from gatekeeper.bootstrap import Services, services
from gatekeeper.service import metrics

bp = Blueprint("operations", __name__)


def shown(location: str | None) -> str | None:
    """A URL without its user and password (a collector or bundle URL may carry them)."""
    if location is None or "@" not in location:
        return location
    parts = urlsplit(location)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _outbox_figures(svc: Services) -> metrics.OutboxFigures:
    def figures() -> tuple[dict[str, dict[str, int]], float | None]:
        oldest = svc.outbox.oldest_pending()
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest is not None else None
        return svc.outbox.counts(), age

    return figures


@bp.get("/metrics")
def metrics_text() -> ResponseReturnValue:
    """Every worker's counters and histograms, and the outbox's depth, in Prometheus' text
    format."""
    body, content_type = metrics.exposition(_outbox_figures(services(current_app)))
    return current_app.response_class(body, content_type=content_type)


@bp.get("/v1/status")
def status() -> ResponseReturnValue:
    """The serving policy of the worker that answers, and the decision-log shipper."""
    svc = services(current_app)
    shipper = svc.decision_log
    policy = svc.store.status()
    policy["source"] = shown(policy["source"])
    return jsonify(
        instance=socket.gethostname(),
        worker_pid=os.getpid(),
        policy=policy,
        decision_log={"collector": shown(shipper.url), "buffered": shipper.buffered},
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
