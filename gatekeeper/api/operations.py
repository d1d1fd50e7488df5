"""Operator endpoints: ``GET /metrics`` (Prometheus) and ``GET /v1/status`` (what this worker
serves: policy revision, when it was loaded, the last bundle it refused and why)."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue

from gatekeeper.bootstrap import Services, services
from gatekeeper.service import metrics
from gatekeeper.service.policy_source import shown_url

bp = Blueprint("operations", __name__)


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
    collector = shown_url(shipper.url) if shipper.url else None
    return jsonify(
        instance=socket.gethostname(),
        worker_pid=os.getpid(),
        policy=svc.store.status(),  # its source is shown without a password
        decision_log={"collector": collector, "buffered": shipper.buffered},
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
