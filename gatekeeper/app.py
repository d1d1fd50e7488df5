"""Application factory: one place that builds the Flask app from a config."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

DEFAULT_POLICIES = Path(__file__).resolve().parent.parent / "policies"


def _env_config() -> dict[str, Any]:
    """Read every GATEKEEPER_* environment variable (GATEKEEPER_ENGINE -> ENGINE)."""
    out: dict[str, Any] = {}
    for key, value in os.environ.items():
        if key.startswith("GATEKEEPER_") and not key.startswith("GATEKEEPER_TEST_"):
            out[key.removeprefix("GATEKEEPER_")] = value
    return out


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``test_config`` overrides defaults and the environment."""
    instance = (test_config or {}).get("INSTANCE_PATH") or os.environ.get(
        "GATEKEEPER_INSTANCE_PATH"
    )
    app = Flask(__name__, instance_relative_config=True, instance_path=instance or None)
    app.config.from_mapping(
        SECRET_KEY="dev",
        POLICIES=str(DEFAULT_POLICIES),
        ENGINE="regorus",
        MAX_CONTENT_LENGTH=64 * 1024,
        LOG_JSON=None,
        LOG_LEVEL="INFO",
        ENV_NAME="production",
    )
    app.config.update(_env_config())
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from gatekeeper import logging_setup

    log_json = app.config["LOG_JSON"]
    if isinstance(log_json, str):
        log_json = log_json.lower() in ("1", "true", "yes")
    logging_setup.configure_logging(log_json, str(app.config["LOG_LEVEL"]))

    from gatekeeper import web
    from gatekeeper.api import init_app as init_api
    from gatekeeper.server import guard
    from gatekeeper.service import wiring
    from gatekeeper.web import auth as web_auth

    wiring.init_app(app)
    guard.init_app(app)  # authentication, the access table and CSRF for every door
    init_api(app)
    web.init_app(app)
    web_auth.init_app(app)
    return app
