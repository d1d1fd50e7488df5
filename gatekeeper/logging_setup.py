"""structlog configured once: readable lines in a terminal, JSON lines otherwise; no secrets.

Secrets are redacted by key name (password, token, cookie, authorization ...) and by shape
in any string (bearer credentials, Gatekeeper tokens, key=value pairs, cookie headers, URL
passwords), in structlog events and in stdlib log records alike.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from gatekeeper import jsontext

_SECRET_KEY = re.compile(
    r"(password|passwd|secret|token|authorization|cookie|api[_-]?key|session|credential|csrf)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
REDACTED = "[redacted]"
# (pattern, replacement) applied to every string after the bearer rule
_SHAPES = (
    (re.compile(r"\bgk_[A-Za-z0-9_-]{8,}"), REDACTED),  # a Gatekeeper API token anywhere
    (re.compile(r"(?i)\b((?:set-)?cookie\s*[:=]\s*)[^\r\n]+"), rf"\1{REDACTED}"),
    (re.compile(r"(?i)\b((?:__Host-)?gatekeeper(?:_session)?=)[^;\s,'\"]+"), rf"\1{REDACTED}"),
    (re.compile(r"(?i)\b((?:password|passwd|pwd|token|access_token|secret|api[_-]?key|"
                r"csrf_token|session)=)[^&\s;,'\"]+"), rf"\1{REDACTED}"),
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s/]+@"), rf"\1{REDACTED}@"),
)


# Every pattern above needs one of these literals (any case), so a text without any is left
# as it is. Plain substring tests: far faster than one case-insensitive regex over the text.
_TRIGGERS = ("bearer", "basic", "gk_", "cookie", "=", "://")


def _may_hold_secret(text: str, low: str | None = None) -> bool:
    """Whether some pattern could match ``text`` (``low``: its lower case, when known)."""
    low = text.lower() if low is None else low
    return any(t in low for t in _TRIGGERS)


def redact_text(text: str) -> str:
    """``text`` with every secret-shaped part replaced by ``[redacted]``."""
    if not _may_hold_secret(text):
        return text
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    for pattern, replacement in _SHAPES:
        text = pattern.sub(replacement, text)
    return text


@functools.lru_cache(maxsize=4096)
def _secret_key(key: str) -> bool:
    """A key whose value is secret by its name; keys come from a small vocabulary, so cached."""
    return _SECRET_KEY.search(key) is not None


def redact(value: Any) -> Any:
    """Return ``value`` with every secret-looking key or bearer string replaced."""
    kind = type(value)  # exact types first: a decision-log event is plain JSON-like data
    if kind is str:
        return redact_text(value)
    if kind is dict or isinstance(value, Mapping) or (
        hasattr(value, "items") and hasattr(value, "keys")
    ):
        return {
            k: (REDACTED if isinstance(k, str) and _secret_key(k) else redact(v))
            for k, v in value.items()
        }
    if kind is list or isinstance(value, list | tuple | set | frozenset):
        return [redact(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):  # a str subclass
        return redact_text(value)
    if isinstance(value, bytes):
        return redact_text(value.decode("utf-8", "replace"))
    return redact_text(str(value))  # anything else is rendered as text: redact that text


# Every key _SECRET_KEY matches holds one of these words (any case).
_KEY_WORDS = ("password", "passwd", "secret", "token", "authorization", "cookie", "api_key",
              "api-key", "apikey", "session", "credential", "csrf")


def _may_name_secret_key(text: str, low: str) -> bool:
    """Whether some object key in ``text`` (an event's ``jsontext.log_line``) may name a secret.

    A key is a string followed by ``:``, which no string value is in JSON, so a word only in
    values (``supervised_session``) does not count. Letters are never escaped, so an ASCII
    key's word is in the text as it is; non-ASCII text is left to the walk (case folding).
    Costs a few finds where walking a decision-log event visits ~200 values. ``low`` is
    ``text.lower()``.
    """
    if not text.isascii():
        return True
    for word in _KEY_WORDS:
        at = low.find(word)
        while at >= 0:
            if _in_a_key(low, at + len(word)):
                return True
            at = low.find(word, at + 1)
    return False


def _in_a_key(text: str, i: int) -> bool:
    """Whether the JSON string holding position ``i`` is a key: its closing quote is the
    first one not escaped by an odd run of backslashes, and a key's is followed by ``:``."""
    while (end := text.find('"', i)) >= 0:
        start = end
        while start > 0 and text[start - 1] == "\\":
            start -= 1
        if (end - start) % 2 == 0:
            return text.startswith(":", end + 1)
        i = end + 1
    return False


def _clean_line(event: MutableMapping[str, Any]) -> str | None:
    """The event's JSON line when nothing in it needs redacting, else None."""
    try:
        text = jsontext.log_line(event, default=str)
    except (TypeError, ValueError):  # not serialisable (a cycle, say): the walk decides
        return None
    low = text.lower()
    if _may_hold_secret(text, low) or _may_name_secret_key(text, low):
        return None
    return text


def _redacted(event: MutableMapping[str, Any]) -> dict[str, Any]:
    return {k: (REDACTED if _secret_key(k) else redact(v)) for k, v in event.items()}


def _redact_processor(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    # Fast path: a decision-log event (~6 KB) usually has no secret-named key and no text any
    # pattern could match; checking its JSON text is far cheaper than walking it.
    if _clean_line(event) is not None:
        return event
    return _redacted(event)


def _redact_and_render_json(_: Any, __: str, event: MutableMapping[str, Any]) -> str:
    """Redact and render as one JSON line, serialising a clean event only once."""
    line = _clean_line(event)
    if line is not None:
        return line
    return jsontext.log_line(_redacted(event), default=str)


class RedactingFormatter(logging.Formatter):
    """Formats stdlib records (werkzeug, gunicorn, libraries), then redacts the text."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


def configure_logging(json_lines: bool | None = None, level: str = "INFO") -> None:
    """Configure structlog and stdlib logging for the process (to stderr, never stdout).

    The CLI configures it at start-up and ``create_app`` again, both from their ``Settings``
    (``log_json``: None means JSON unless stderr is a terminal).
    """
    if json_lines is None:
        json_lines = not sys.stderr.isatty()
    # JSON lines: one step redacts and renders; a terminal: redact, then the console renderer
    last: list[Any] = (
        [_redact_and_render_json]
        if json_lines
        else [_redact_processor, structlog.dev.ConsoleRenderer(colors=False)]
    )
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=level.upper(), force=True)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(RedactingFormatter("%(message)s"))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,  # before redaction: tracebacks too
            *last,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
