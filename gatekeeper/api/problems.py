"""Every error leaves as RFC 9457 application/problem+json: never a traceback, never HTML."""

from __future__ import annotations

from typing import Any

import structlog
from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from gatekeeper.domain import (
    AuthenticationError,
    BundleError,
    ConflictError,
    EngineError,
    GatekeeperError,
    PolicyError,
    TooManyAttemptsError,
    ValidationError,
)
from gatekeeper.server.errors import status_for
from gatekeeper.server.identifier import www_authenticate

log = structlog.get_logger(__name__)

PROBLEM_TYPE = "https://gatekeeper.example/problems/"


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> Response:
    """Build a problem+json response; ``code`` is the stable machine-readable error code."""
    body = {
        "type": PROBLEM_TYPE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.path if request else None,
        **extra,
    }
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    return response


def render_error(exc: GatekeeperError) -> Response:
    """The error as problem+json, with the status every door gives it."""
    status = status_for(exc)
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationError):
        extra["errors"] = [e.to_dict() for e in exc.errors]
    if isinstance(exc, ConflictError) and exc.state:
        extra["state"] = exc.state
    if isinstance(exc, EngineError | PolicyError | BundleError):
        log.error("request_failed_closed", code=exc.code, detail=exc.detail, path=request.path)
    response = problem(status, exc.code, exc.title, exc.detail, **extra)
    if isinstance(exc, AuthenticationError):
        response.headers["WWW-Authenticate"] = www_authenticate(exc)
    if isinstance(exc, TooManyAttemptsError):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _http_error(exc: HTTPException) -> Response:
    code = (exc.name or "error").lower().replace(" ", "_")
    response = problem(exc.code or 500, code, exc.name or "Error", exc.description or "")
    for header in ("WWW-Authenticate", "Allow", "Retry-After"):
        if exc.get_response().headers.get(header):
            response.headers[header] = exc.get_response().headers[header]
    return response


def _unexpected(exc: Exception) -> Response:
    log.exception("request_crashed", path=request.path)
    return problem(500, "internal_error", "Internal error", "An unexpected error occurred.")


def init_app(app: Flask) -> None:
    app.register_error_handler(GatekeeperError, render_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
