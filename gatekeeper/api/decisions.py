"""POST /v1/decisions (evaluate only, records nothing) and GET /v1/catalog."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify
from flask.typing import ResponseReturnValue

from gatekeeper import jsontext
from gatekeeper.api.jsonbody import json_body
from gatekeeper.bootstrap import services
from gatekeeper.server.identifier import current_principal
from gatekeeper.service.catalog import build_catalog

bp = Blueprint("decisions", __name__, url_prefix="/v1")


def json_response(data: Any) -> Response:
    """``jsonify(data)`` for plain JSON values (sorted keys, compact; UTF-8 rather than ASCII
    escapes), several times cheaper; debug mode keeps jsonify's indent."""
    if current_app.debug:
        return jsonify(data)
    return current_app.response_class(jsontext.dumps_sorted(data) + b"\n",
                                      mimetype="application/json")


@bp.post("/decisions")
def create_decision() -> ResponseReturnValue:
    """Evaluate an access request and return the decision; nothing is recorded."""
    _, decision = services(current_app).decisions.decide(json_body(), current_principal())
    return json_response(decision.to_dict())


@bp.get("/catalog")
def catalog() -> ResponseReturnValue:
    """Access levels, purposes, alternatives, and the customers this caller may request for."""
    loaded = services(current_app).store.current
    return jsonify(build_catalog(loaded.bundle, current_principal()))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
