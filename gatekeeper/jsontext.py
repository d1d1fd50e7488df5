"""JSON text in and out of the hot paths (engine answers, API responses, log lines) via orjson.

orjson parses and writes JSON several times faster than the standard library, which matters
on a decision's ~6 KB answer: it is read from the engine, written to the client and logged.
Anything orjson refuses (an integer beyond 64 bits, say) falls back to the standard library.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

_SORTED = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def loads(text: str | bytes) -> Any:
    """Parse JSON text; ``ValueError`` (``json.JSONDecodeError``) when it is not JSON."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)  # the standard library's reading, or its precise error


def dumps_sorted(value: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    """Compact UTF-8 JSON with sorted keys: the bytes of an API response body."""
    try:
        return orjson.dumps(value, default=default, option=_SORTED)
    except TypeError:  # e.g. an integer beyond 64 bits
        return json.dumps(value, default=default, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False).encode()


def log_line(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """One compact log line, unknown types via ``default``; text is written as it is (UTF-8),
    by orjson and the fallback alike, so the line can be searched for what it holds."""
    try:
        return orjson.dumps(value, default=default, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value, default=default, separators=(",", ":"), ensure_ascii=False)
