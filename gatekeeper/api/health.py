"""Liveness and readiness: ready only when a policy bundle is loaded."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue

from gatekeeper.api.problems import problem
from gatekeeper.service.wiring import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Ready to decide: a bundle is loaded (and every dependency answers)."""
    store = services(current_app).store
    if not store.ready:
        return problem(503, "not_ready", "Not ready", store.last_error or "no policy bundle")
    loaded = store.current
    return jsonify(status="ready", policy={"revision": loaded.bundle.revision,
                                           "engine": loaded.engine.name})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
