"""Text a database can store: no NUL character and no unpaired surrogate, anywhere.

PostgreSQL refuses NUL in text and no UTF-8 encoder writes a lone surrogate, while SQLite
stores both: refusing them at the door keeps the two ledgers answering alike, and keeps such
bytes away from the engine too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gatekeeper.domain.errors import FieldError

_BAD = re.compile("[\x00\ud800-\udfff]")
MAX_DEPTH = 32


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored, or None when it can."""
    found = _BAD.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "must not contain a NUL character"
    return "must not contain an unpaired surrogate (text that is not valid Unicode)"


def unstorable_text(value: Any, path: str = "", depth: int = 0) -> list[FieldError]:
    """Every string (or key) in a JSON-like value that cannot be stored, by dotted path."""
    errors: list[FieldError] = []
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            errors.append(FieldError(path, problem))
    elif depth >= MAX_DEPTH:
        errors.append(FieldError(path, f"is nested deeper than {MAX_DEPTH} levels"))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and text_problem(key):
                errors.append(FieldError(path or "(body)", f"a field name {text_problem(key)}"))
                continue
            errors.extend(unstorable_text(item, name, depth + 1))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            errors.extend(unstorable_text(item, f"{path}.{i}" if path else str(i), depth + 1))
    return errors
