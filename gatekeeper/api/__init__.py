"""The JSON door under /v1, plus health endpoints and RFC 9457 problem responses."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from gatekeeper.api import (
        access_requests,
        decisions,
        health,
        opa_data,
        openapi,
        operations,
        problems,
        reports,
    )

    problems.init_app(app)
    health.init_app(app)
    decisions.init_app(app)
    access_requests.init_app(app)
    opa_data.init_app(app)
    reports.init_app(app)
    openapi.init_app(app)
    operations.init_app(app)
