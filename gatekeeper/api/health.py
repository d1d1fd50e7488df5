"""Liveness and readiness: ready only when a policy bundle is loaded."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue

from gatekeeper.api.problems import problem
from gatekeeper.bootstrap import services
from gatekeeper.domain import GatekeeperError

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Ready to decide and record: a bundle is loaded, the ledger's database answers and,
    for engine opa, the OPA server holds that bundle."""
    svc = services(current_app)
    store = svc.store
    if not store.ready:
        return problem(503, "not_ready", "Not ready", store.last_error or "no policy bundle")
    try:
        svc.ledger.ping()
    except GatekeeperError as exc:
        return problem(503, "not_ready", "Not ready", f"database: {exc.detail}")
    loaded = store.current
    unavailable = getattr(loaded.engine, "unavailable", None)  # an engine with a server: opa
    why = unavailable() if unavailable is not None else None
    if why:
        return problem(503, "not_ready", "Not ready", f"engine {loaded.engine.name}: {why}")
    return jsonify(status="ready", policy={"revision": loaded.bundle.revision,
                                           "engine": loaded.engine.name})


@bp.get("/health")
def opa_health() -> ResponseReturnValue:
    """OPA's health check (opa-python-client's ``check_health``): ``{}`` once a bundle is
    loaded; ``?bundles`` and ``?plugins`` ask the same here."""
    store = services(current_app).store
    if not store.ready:
        return problem(503, "not_ready", "Not ready", store.last_error or "no policy bundle")
    return jsonify({})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
