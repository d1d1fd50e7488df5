"""Compare a decision with an expected subset, naming each difference in plain words.

Shared by the contract tests and ``gatekeeper check``. Rules: a mapping matches when every
expected key matches; a list of items with ``id`` matches item by item on those ids; other
lists need each expected element somewhere in the actual list; ``[]`` means "must be empty".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatekeeper.domain.situation import context_input


def example_input(example: Mapping[str, Any]) -> dict[str, Any]:
    """The engine input for an ``examples/requests/*.json`` file (``start`` defaults to now,
    ``context`` to empty lists)."""
    request = dict(example.get("request") or {})
    request.setdefault("start", example.get("now"))
    return {"request": request, "identity": example.get("identity"), "now": example.get("now"),
            "context": context_input(example.get("context"))}


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return str(value)


def _same_scalar(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    return bool(expected == actual)


def _has_ids(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, Mapping) and "id" in i for i in items)


def _where(path: str) -> str:
    return path or "the decision"


def _compare_list(expected: list[Any], actual: Any, path: str, out: list[str]) -> None:
    if not isinstance(actual, list):
        out.append(f"{_where(path)}: expected a list, got {_show(actual)}")
        return
    if not expected:
        if actual:
            out.append(f"{_where(path)}: expected none, got {len(actual)}")
        return
    if _has_ids(expected):
        by_id = {a.get("id"): a for a in actual if isinstance(a, Mapping)}
        for item in expected:
            found = by_id.get(item["id"])
            if found is None:
                present = ", ".join(str(i) for i in by_id) or "none"
                wanted = item["id"]
                out.append(f"{_where(path)}: no item with id {wanted!r} (ids present: {present})")
            else:
                _compare(item, found, f"{path}[id={item['id']}]", out)
        return
    for index, item in enumerate(expected):
        if not any(not mismatches(item, candidate) for candidate in actual):
            out.append(f"{_where(path)}: expected item {index} ({_show(item)}) is missing")


def _compare(expected: Any, actual: Any, path: str, out: list[str]) -> None:
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            out.append(f"{_where(path)}: expected an object, got {_show(actual)}")
            return
        for key, value in expected.items():
            child = f"{path}.{key}" if path else str(key)
            if key not in actual:
                out.append(f"{child}: missing (expected {_show(value)})")
            else:
                _compare(value, actual[key], child, out)
    elif isinstance(expected, list):
        _compare_list(expected, actual, path, out)
    elif not _same_scalar(expected, actual):
        out.append(f"{_where(path)}: expected {_show(expected)}, got {_show(actual)}")


def mismatches(expected: Any, actual: Any) -> list[str]:
    """Every way ``actual`` fails to contain ``expected``; empty when it matches."""
    out: list[str] = []
    _compare(expected, actual, "", out)
    return out
