"""Read a JSON request body strictly: the right content type, valid JSON, a size limit."""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.exceptions import UnsupportedMediaType

from gatekeeper.domain import FieldError, MalformedBodyError


def json_body() -> Any:
    """The parsed body; 415 for a non-JSON content type, 400-class problem for bad JSON."""
    if not request.is_json:
        raise UnsupportedMediaType(
            f"the body must be application/json, not {request.mimetype or 'empty'}"
        )
    raw = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    try:
        return request.get_json(force=True, silent=False)
    except Exception as exc:
        raise MalformedBodyError(
            [FieldError("", f"malformed JSON: {getattr(exc, 'description', exc)}")],
            detail=f"the body is not valid JSON ({len(raw)} bytes)",
        ) from None
