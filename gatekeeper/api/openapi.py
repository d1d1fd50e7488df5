"""Serves the OpenAPI document kept beside this module (openapi.yaml) as JSON."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue

from gatekeeper import __version__

SPEC_FILE = Path(__file__).with_name("openapi.yaml")
bp = Blueprint("openapi", __name__, url_prefix="/v1")


@cache
def load_spec() -> dict[str, Any]:
    """The document, read once per process."""
    spec: dict[str, Any] = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))
    spec["info"]["version"] = __version__
    return spec


@bp.get("/openapi.json")
def openapi_json() -> ResponseReturnValue:
    """The OpenAPI 3.1 description of every endpoint this service answers."""
    return jsonify(load_spec())


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
