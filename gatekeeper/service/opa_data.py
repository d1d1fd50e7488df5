"""OPA's Data API on Gatekeeper's own bundle: what ``/v1/data/{path}`` and ``/v1/policies``
answer, so OPA clients (``opa-python-client``, Gatekeeper's own ``opa`` engine) can ask
Gatekeeper as they would ask an OPA server.

The value of ``data.<path>`` comes from the serving engine. ``data.system.bundles`` holds,
as on OPA, the manifest of each bundle -- here the one bundle, ``gatekeeper``, with its
revision and roots -- so a client can tell which revision answers. A path under no root of
the bundle is ``UnknownDataPathError`` (404): on OPA it would quietly be undefined.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from gatekeeper.domain import EngineError, FieldError, NotFoundError, ValidationError
from gatekeeper.engine.base import PolicyBundle
from gatekeeper.engine.bundle_archive import package_of, roots_of
from gatekeeper.engine.refs import path_parts
from gatekeeper.engine.rego_ast import iter_rules, parse_ast
from gatekeeper.engine.regorus_engine import build_regorus
from gatekeeper.service.policy_store import LoadedPolicy

BUNDLE_NAME = "gatekeeper"
SYSTEM = "system"


class UnknownDataPathError(NotFoundError):
    """The path lies under no package and no data of the bundle."""

    code = "unknown_data_path"
    title = "No policy or data at this path"


def data_path(path: str) -> list[str]:
    """``gatekeeper/decision`` -> ``["gatekeeper", "decision"]``; a ``ValidationError``
    naming ``path`` when a part is empty or holds characters a data path cannot."""
    try:
        return path_parts("data." + path.strip("/").replace("/", "."))
    except EngineError:
        raise ValidationError([FieldError(
            "path", "must be names separated by '/', each of letters, digits and _-:@+~ "
                    f"(got {path[:80]!r})")]) from None


_ROOTS: dict[str, list[str]] = {}  # revision -> roots: reading them scans every module


def roots(bundle: PolicyBundle) -> list[str]:
    """The bundle's roots (``roots_of``), remembered for the serving revision."""
    found = _ROOTS.get(bundle.revision)
    if found is None:
        found = roots_of(bundle)
        _ROOTS.clear()
        _ROOTS[bundle.revision] = found
    return found


def bundles_document(bundle: PolicyBundle) -> dict[str, Any]:
    """``data.system.bundles`` as OPA keeps it: bundle name -> its manifest."""
    return {BUNDLE_NAME: {"manifest": {"revision": bundle.revision, "roots": roots(bundle)}}}


def _walk(value: Any, parts: list[str]) -> tuple[bool, Any]:
    for part in parts:
        if not isinstance(value, Mapping) or part not in value:
            return False, None
        value = value[part]
    return True, value


def query(loaded: LoadedPolicy, parts: list[str], input: Any) -> tuple[bool, Any]:
    """(defined, value) of ``data.<parts>`` for ``input`` (None: no input) on the serving
    engine; ``ValidationError`` for an input that is not an object."""
    if input is not None and not isinstance(input, Mapping):
        raise ValidationError([FieldError(
            "input", "must be a JSON object (Gatekeeper's engines take an object as input)")])
    if parts[:1] == [SYSTEM]:
        return _walk({"bundles": bundles_document(loaded.bundle)}, parts[1:])
    owned = roots(loaded.bundle)
    if parts[0] not in owned:
        raise UnknownDataPathError(
            f"data.{'.'.join(parts)}: no package or data of bundle {loaded.bundle.revision} "
            f"lies under {parts[0]!r} (roots: {', '.join(owned)})")
    value = loaded.engine.evaluate(input or {}, "data." + ".".join(parts))
    return value is not None, value


# -- /v1/policies -------------------------------------------------------------------------

_POLICIES: dict[str, list[dict[str, Any]]] = {}  # revision -> document
_POLICIES_LOCK = threading.Lock()


def _term(kind: str, value: str) -> dict[str, str]:
    return {"type": kind, "value": value}


def policies_document(bundle: PolicyBundle) -> list[dict[str, Any]]:
    """The modules as OPA's ``GET /v1/policies`` lists them: ``id``, ``raw`` and an ``ast``
    reduced to what clients read (the package path and each rule head's name and ref)."""
    with _POLICIES_LOCK:
        found = _POLICIES.get(bundle.revision)
        if found is not None:
            return found
        engine = build_regorus(bundle)
        rules = list(iter_rules(parse_ast(engine.get_ast_as_json())))
        del engine  # a regorus engine is dropped on the thread that made it: this one
        document = []
        for rel, text in sorted(bundle.modules.items()):
            mine = [r for r in rules if r.file == rel]
            package = next((r.package for r in mine), None) or package_of(text) or ""
            heads, seen = [], set()
            for rule in mine:
                below = rule.path.split(".")[len(package.split(".")):]
                if rule.path in seen or not below:
                    continue
                seen.add(rule.path)
                heads.append({"head": {"name": below[0] if len(below) == 1 else "",
                                       "ref": [_term("var", below[0])]
                                       + [_term("string", p) for p in below[1:]]}})
            path = [_term("var", "data")] + [_term("string", p) for p in package.split(".")]
            document.append({"id": rel, "raw": text,
                             "ast": {"package": {"path": path}, "rules": heads}})
        _POLICIES.clear()  # only the serving revision is kept
        _POLICIES[bundle.revision] = document
        return document

