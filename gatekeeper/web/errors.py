"""Errors on the web pages: HTML pages with the status the one map gives, never a traceback."""

from __future__ import annotations

import structlog
from flask import Blueprint, render_template
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from gatekeeper.domain import GatekeeperError, TooManyAttemptsError, ValidationError
from gatekeeper.server.errors import status_for

log = structlog.get_logger(__name__)


def render_error(status: int, title: str, detail: str) -> Response:
    body = render_template("error.html", status=status, title=title, detail=detail)
    return Response(body, status=status, mimetype="text/html")


# The title of the page each status of a domain error shows; the detail is the error's own.
PAGE_TITLES: dict[int, str] = {
    400: "That did not work",
    401: "Please sign in",
    403: "Not allowed",
    404: "Request not found",
    409: "This changed meanwhile",
    422: "That did not work",
    429: "Too many attempts",
    503: "Gatekeeper cannot answer right now",
}


def _domain_page(exc: GatekeeperError) -> Response:
    """A domain error as a page, with the status ``gatekeeper.server.errors`` gives it."""
    status = status_for(exc)
    title = PAGE_TITLES.get(status, PAGE_TITLES[400])
    if status == 404:
        return render_error(status, title,
                            "There is no request with this reference that you may see.")
    if status == 403:
        return render_error(status, title, exc.detail[:1].upper() + exc.detail[1:] + ".")
    if status == 503:
        log.error("web_request_failed_closed", code=exc.code, detail=exc.detail)
        return render_error(status, title,
                            "Nothing was recorded. Please try again in a few minutes; if it "
                            "keeps happening, contact your MSP.")
    detail = exc.detail
    if isinstance(exc, ValidationError) and exc.errors:
        detail = " ".join(f"{e.field or 'The form'}: {e.problem}." for e in exc.errors)
    response = render_error(status, title, detail)
    if isinstance(exc, TooManyAttemptsError):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _page_for(exc: Exception) -> Response:
    if isinstance(exc, GatekeeperError):
        return _domain_page(exc)
    if isinstance(exc, HTTPException):
        if exc.code == 400 and "CSRF" in (exc.description or ""):
            return render_error(400, "This form has expired",
                                "For your safety a form is only valid for a while. Go back, "
                                "reload the page and send it again; nothing was changed.")
        return render_error(exc.code or 500, exc.name, exc.description or "")
    log.exception("web_request_crashed")
    return render_error(500, "Something went wrong", "An unexpected error occurred; nothing "
                        "more was changed. Please try again.")


def html_errors(bp: Blueprint) -> None:
    """Errors inside these pages are HTML pages, not the API's problem+json."""
    bp.register_error_handler(Exception, _page_for)
