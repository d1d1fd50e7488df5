"""Counts every HTTP answer for ``/metrics``: by route (the URL rule, never the raw path, so
ids do not make new series), method and status, with the time the app took."""

from __future__ import annotations

import time

from flask import Flask, Response, g, request

from gatekeeper.service import metrics

UNMATCHED = "unmatched"  # no URL rule: 404s and requests refused before routing
# Any other method is counted as "other": a client must not create series at will.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _started() -> None:
    g.gk_started = time.perf_counter()


def _answered(response: Response) -> Response:
    started = g.pop("gk_started", None)
    rule = request.url_rule
    route = rule.rule if rule is not None else UNMATCHED
    method = request.method if request.method in METHODS else "other"
    metrics.HTTP_REQUESTS.labels(route, method, str(response.status_code)).inc()
    if started is not None:
        metrics.HTTP_SECONDS.labels(route, method).observe(
            time.perf_counter() - started)
    return response


def init_app(app: Flask) -> None:
    """Runs first before, and last after, every request (registered before the guard)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _started)
    app.after_request(_answered)
