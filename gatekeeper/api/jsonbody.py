"""Read a JSON request body strictly: the right content type, a size and nesting limit
checked before parsing, valid JSON, and only text the ledger can store."""

from __future__ import annotations

import re
from typing import Any

from flask import request
from werkzeug.exceptions import UnsupportedMediaType

from gatekeeper import jsontext
from gatekeeper.domain import FieldError, MalformedBodyError, ValidationError
from gatekeeper.domain.text import MAX_DEPTH, unstorable_text

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(rb"[\[\]{}]")


def nesting(raw: bytes) -> int:
    """How deep arrays and objects nest in ``raw``, brackets inside strings not counted."""
    deepest = depth = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub(b"", raw)):
        depth += 1 if bracket in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def json_body() -> Any:
    """The parsed body; 415 for a non-JSON content type, 400-class problem for bad JSON."""
    if not request.is_json:
        raise UnsupportedMediaType(
            f"the body must be application/json, not {request.mimetype or 'empty'}"
        )
    raw = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    if nesting(raw) > MAX_DEPTH:
        raise MalformedBodyError(
            [FieldError("", f"arrays and objects nest deeper than {MAX_DEPTH} levels")],
            detail=f"the body nests deeper than {MAX_DEPTH} levels")
    try:
        # What request.get_json() reads (the standard library's json, any UTF), parsed by
        # orjson first: several times cheaper on every decision request.
        body = jsontext.loads(raw)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise MalformedBodyError(
            [FieldError("", f"malformed JSON: {exc}")],
            detail=f"the body is not valid JSON ({len(raw)} bytes)",
        ) from None
    errors = unstorable_text(body)
    if errors:
        raise ValidationError(errors)
    return body
