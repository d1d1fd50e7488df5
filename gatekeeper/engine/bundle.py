"""Load a policy bundle from a folder: Rego modules, data files, schema checks, compile check.

Layout follows the OPA bundle convention: ``customers/data.yaml`` lands at
``data.customers``. ``*_test.rego`` files are kept apart as test modules. The revision is a
SHA-256 over every loaded file (tests included: the revision names exactly what was
checked out, and a test-only edit is still an edit).

Bundle views: the rules of package ``gatekeeper.views`` are computed from data alone, once,
here, and served as ``data.views`` -- a request looks them up instead of computing them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import regorus

from gatekeeper.domain.errors import BundleError
from gatekeeper.engine import datafiles
from gatekeeper.engine.base import DECISION_PATH, PolicyBundle
from gatekeeper.engine.diagnostics import parse_regorus_error
from gatekeeper.engine.rego_ast import iter_rules, parse_ast

SCHEMA_DIR = Path(__file__).with_name("schemas")
DATA_FILE_NAMES = ("data.yaml", "data.yml", "data.json")
TEST_SUFFIX = "_test.rego"
VIEWS_PACKAGE = "data.gatekeeper.views"
VIEWS_KEY = "views"


def _display(root: str, rel: str) -> str:
    return f"{root.rstrip('/')}/{rel}"


def _discover(root: Path) -> list[tuple[str, bytes]]:
    """(relative posix path, bytes) of every module and data file, sorted; skips dot-folders."""
    found = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if path.suffix == ".rego" or path.name in DATA_FILE_NAMES:
            found.append((rel.as_posix(), path.read_bytes()))
    return found


def compute_revision(files: list[tuple[str, bytes]]) -> str:
    """``sha256:<hex>`` over sorted (path, content) pairs, length-prefixed so no two collide."""
    digest = hashlib.sha256()
    for rel, raw in sorted(files):
        name = rel.encode()
        digest.update(len(name).to_bytes(8, "big") + name)
        digest.update(len(raw).to_bytes(8, "big") + raw)
    return "sha256:" + digest.hexdigest()


def _merge(target: dict[str, Any], place: tuple[str, ...], value: Any, display: str) -> None:
    """Put ``value`` at ``place`` inside ``target``, merging mappings; clashes are errors."""
    node = target
    for i, key in enumerate(place[:-1]):
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise BundleError(display, f"data.{'.'.join(place[: i + 1])} is already a value")
        node = child
    if not place:
        _deep_merge(target, value, display, ())
        return
    key = place[-1]
    if key in node:
        _deep_merge(node[key], value, display, place)
    else:
        node[key] = value


def _deep_merge(into: Any, value: Any, display: str, at: tuple[str, ...]) -> None:
    if not isinstance(into, dict) or not isinstance(value, dict):
        raise BundleError(display, f"data.{'.'.join(at)} is defined by two data files")
    for key, item in value.items():
        if key in into:
            _deep_merge(into[key], item, display, (*at, key))
        else:
            into[key] = item


def _load_data(
    root: str, files: list[tuple[str, bytes]], schema_dir: Path | None
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    by_top: dict[str, list[datafiles.DataFile]] = {}
    for rel, raw in files:
        parts = tuple(rel.split("/"))
        if parts[-1] not in DATA_FILE_NAMES:
            continue
        parsed = datafiles.parse_data_file(_display(root, rel), parts[:-1], raw)
        _merge(data, parsed.place, parsed.value, parsed.display)
        # A data file at the root (an OPA bundle's data.json) holds several top-level keys.
        for top in parsed.place[:1] or tuple(parsed.value):
            by_top.setdefault(top, []).append(parsed)
    if schema_dir is not None:
        for top, group in sorted(by_top.items()):
            schema_path = schema_dir / f"{top}.schema.json"
            if schema_path.is_file():
                datafiles.validate(top, data[top], group, schema_path)
    # Round-trip through JSON: rejects anything an engine could not receive (NaN, infinity).
    try:
        return dict(json.loads(json.dumps(data, allow_nan=False)))
    except (TypeError, ValueError) as exc:
        raise BundleError(root, f"data is not representable as JSON: {exc}") from None


def _compile(
    root: str, modules: dict[str, str], data: dict[str, Any], entrypoint: str | None
) -> regorus.Engine:
    """Compile every module on regorus (strict checks); returns the engine holding them."""
    engine = regorus.Engine()
    for rel, text in modules.items():
        try:
            engine.add_policy(rel, text)
        except RuntimeError as exc:
            diag = parse_regorus_error(exc)
            raise BundleError(_display(root, diag.file or rel), diag.message, diag.line) from None
    try:
        engine.add_data_json(json.dumps(data))
        engine.eval_query("1")  # triggers the whole-bundle checks (e.g. unsafe variables)
    except RuntimeError as exc:
        diag = parse_regorus_error(exc)
        file = _display(root, diag.file) if diag.file else root
        raise BundleError(file, diag.message, diag.line) from None
    ast = parse_ast(engine.get_ast_as_json())
    if entrypoint is not None:
        wanted = entrypoint.removeprefix("data.")
        paths = {rule.path for rule in iter_rules(ast) if rule.file not in _tests(modules)}
        if not any(p == wanted or p.startswith(wanted + ".") for p in paths):
            raise BundleError(root, f"no rule defines the entry point {entrypoint}")
    return engine


_VIEWS_PACKAGE_LINE = re.compile(r"^package\s+gatekeeper\.views\s*$", re.M)


def is_views_module(text: str) -> bool:
    """The module's package is ``gatekeeper.views``."""
    return _VIEWS_PACKAGE_LINE.search(text) is not None


def request_modules(bundle: PolicyBundle) -> dict[str, str]:
    """The modules a request can need: all but package ``gatekeeper.views``, whose values the
    loader has already served as ``data.views`` (an engine that evaluates eagerly, like
    regopy, would otherwise compute every view again for every request)."""
    return {rel: text for rel, text in bundle.modules.items() if not is_views_module(text)}


def without_views(bundle: PolicyBundle) -> PolicyBundle:
    """The bundle with ``data.views`` left out: every rule computes what it would look up,
    with the same answers (what the checks compare against)."""
    return replace(bundle, data={k: v for k, v in bundle.data.items() if k != VIEWS_KEY})


def _views(root: str, engine: regorus.Engine, data: dict[str, Any]) -> dict[str, Any]:
    """The value of package ``gatekeeper.views`` for the bundle's data and no input.

    A failure names the package: a bundle whose views cannot be computed does not load.
    """
    if VIEWS_KEY in data:
        raise BundleError(root, f"data.{VIEWS_KEY} is reserved for bundle views "
                                           f"({VIEWS_PACKAGE}); rename the data folder")
    try:
        results = json.loads(engine.eval_query_as_json(VIEWS_PACKAGE)).get("result") or []
    except RuntimeError as exc:
        diag = parse_regorus_error(exc)
        file = _display(root, diag.file) if diag.file else root
        raise BundleError(file, f"bundle views ({VIEWS_PACKAGE}): {diag.message}",
                          diag.line) from None
    value = results[0]["expressions"][0]["value"] if results else {}
    if not isinstance(value, dict):
        raise BundleError(root, f"{VIEWS_PACKAGE} is not a package of rules")
    return {name: view for name, view in value.items() if not name.startswith("_")}


def _tests(modules: dict[str, str]) -> set[str]:
    return {rel for rel in modules if rel.endswith(TEST_SUFFIX)}


def load_bundle(
    root: str | Path,
    *,
    schema_dir: str | Path | None = SCHEMA_DIR,
    entrypoint: str | None = DECISION_PATH,
) -> PolicyBundle:
    """Read, validate and compile the bundle under ``root``; any problem is a ``BundleError``.

    ``schema_dir=None`` skips schema validation; ``entrypoint=None`` skips the entry-point
    check (useful for partial bundles in tests).
    """
    base = Path(root)
    if not base.is_dir():
        raise BundleError(base.as_posix(), "not a directory")
    return load_files(base.as_posix(), _discover(base), schema_dir=schema_dir,
                      entrypoint=entrypoint)


def load_files(
    origin: str,
    files: list[tuple[str, bytes]],
    *,
    schema_dir: str | Path | None = SCHEMA_DIR,
    entrypoint: str | None = DECISION_PATH,
    revision: str | None = None,
) -> PolicyBundle:
    """The bundle made of ``files`` ((relative posix path, bytes) of ``.rego`` modules and
    data files) from ``origin`` (a folder, an archive: what errors name); ``revision`` None:
    computed from the files. Any problem is a ``BundleError``."""
    modules: dict[str, str] = {}
    for rel, raw in files:
        if rel.endswith(".rego"):
            try:
                modules[rel] = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise BundleError(_display(origin, rel), f"not UTF-8 text ({exc.reason})") \
                    from None
    if not any(rel not in _tests(modules) for rel in modules):
        raise BundleError(origin, "no Rego modules found")
    data = _load_data(origin, files, Path(schema_dir) if schema_dir is not None else None)
    engine = _compile(origin, modules, data, entrypoint)
    views = _views(origin, engine, data)
    if views:
        data[VIEWS_KEY] = views
    tests = _tests(modules)
    return PolicyBundle(
        root=origin,
        modules={rel: text for rel, text in modules.items() if rel not in tests},
        data=data,
        revision=revision or compute_revision(files),
        test_modules={rel: text for rel, text in modules.items() if rel in tests},
    )
