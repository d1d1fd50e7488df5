"""Validate a dotted ``data.…`` path and render it as a Rego reference safe to put in a query.

The path may come from an HTTP Data API call, so it must never smuggle Rego into a query.
"""

from __future__ import annotations

import json
import re

from gatekeeper.domain.errors import EngineError

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SEGMENT = re.compile(r"^[A-Za-z0-9_\-:@+~]+$")


def path_parts(path: str) -> list[str]:
    """``data.a.b`` -> ``["a", "b"]``; anything else raises ``EngineError``."""
    parts = path.split(".")
    if parts[0] != "data" or any(not _SEGMENT.match(p) for p in parts[1:]):
        raise EngineError(f"not a valid data path: {path!r} (expected data.<name>.<name>…)")
    return parts[1:]


def rego_ref(path: str) -> str:
    """The Rego reference for ``path``: identifiers dotted, anything else as ``["…"]``."""
    ref = "data"
    for part in path_parts(path):
        ref += f".{part}" if _IDENT.match(part) else f"[{json.dumps(part)}]"
    return ref


def is_plain(path: str) -> bool:
    """True when every part is an identifier, i.e. the path can name a rule directly."""
    return all(_IDENT.match(p) for p in path_parts(path))
