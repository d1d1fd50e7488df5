"""Application factory: one place that builds the Flask app from validated settings."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from gatekeeper.settings import DEFAULT_POLICIES, Settings

__all__ = ["DEFAULT_POLICIES", "create_app"]


def create_app(test_config: dict[str, Any] | None = None, *,
               settings: Settings | None = None) -> Flask:
    """Build the app from ``settings`` (default: the ``GATEKEEPER_*`` environment).

    ``test_config`` overrides them by key without the prefix (``POLICIES``, ``TESTING`` ...);
    its other keys are Flask's own (``SERVER_NAME`` ...) and go to ``app.config`` as given.
    """
    overrides = dict(test_config or {})
    known = {key: overrides.pop(key) for key in Settings.setting_keys() if key in overrides}
    if settings is None:
        settings = Settings.from_env(os.environ, known)
    elif known:
        settings = settings.with_overrides(known)
    app = Flask(__name__, instance_relative_config=True,
                instance_path=str(settings.instance_path))
    # Flask and Flask-WTF read app.config (SECRET_KEY, MAX_CONTENT_LENGTH, WTF_*); the
    # project's own code reads the Settings object. Same values, real types.
    app.config.update(settings.flask_config())
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from gatekeeper import logging_setup

    logging_setup.configure_logging(settings.log_json, settings.log_level)

    from gatekeeper import bootstrap, web
    from gatekeeper.api import init_app as init_api
    from gatekeeper.server import guard, headers, inputs, observe
    from gatekeeper.web import auth as web_auth

    bootstrap.init_app(app, settings)
    observe.init_app(app)  # HTTP requests by route and status, for /metrics
    guard.init_app(app)  # authentication, the access table and CSRF for every door
    headers.init_app(app)  # CSP, framing, sniffing and caching rules on every response
    inputs.init_app(app)  # text no database can store is refused before anything else
    init_api(app)
    web.init_app(app)
    web_auth.init_app(app)
    if settings.trusted_proxies:
        # Behind N proxies: the client's address and scheme are the Nth-from-last values
        # of X-Forwarded-For and -Proto (each proxy appends its own), so a client cannot
        # spoof them through the proxies (docs/deploy.md, "Behind a proxy").
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops,  # type: ignore[method-assign]
                                x_host=0, x_port=0, x_prefix=0)
    return app
