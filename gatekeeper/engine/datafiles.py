"""Parse a bundle's ``data.yaml``/``data.json`` files and validate them with JSON Schema.

Every problem becomes a ``BundleError`` naming the file, the line and the dotted path of the
offending node, so a policy author can jump straight to it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from gatekeeper.domain import roles
from gatekeeper.domain.errors import BundleError

# A schema node {"x-gatekeeper-roles": "DECIDERS"} becomes an enum of that role group.
ROLES_KEYWORD = "x-gatekeeper-roles"


class _DataLoader(yaml.SafeLoader):
    """SafeLoader that keeps dates as strings (as OPA does) and rejects duplicate keys."""


# Drop the timestamp resolver: "2026-11-24" stays a string, as JSON and OPA would see it.
_DataLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _DataLoader, node: yaml.MappingNode) -> dict[str, Any]:
    loader.flatten_mapping(node)
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is not a string (quote it)", key_node.start_mark
            )
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (line {line})", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_DataLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass(frozen=True)
class DataFile:
    """One parsed data file: ``place`` is its position in ``data`` (folder parts)."""

    display: str  # the path shown in errors
    place: tuple[str, ...]
    value: Any
    text: str


def parse_data_file(display: str, place: tuple[str, ...], raw: bytes) -> DataFile:
    """Parse YAML or JSON by extension; syntax errors carry the line of the problem."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BundleError(display, f"not UTF-8 text ({exc.reason})") from exc
    if display.endswith(".json"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BundleError(display, f"invalid JSON: {exc.msg}", exc.lineno) from exc
    else:
        try:
            value = yaml.load(text, Loader=_DataLoader)  # a SafeLoader subclass
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
            raise BundleError(display, f"invalid YAML: {problem}", line) from exc
        except yaml.YAMLError as exc:
            raise BundleError(display, f"invalid YAML: {exc}") from exc
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise BundleError(display, "a data file must hold a mapping (key: value pairs)", 1)
    return DataFile(display, place, value, text)


def line_of(text: str, path: Sequence[str | int]) -> int | None:
    """Line (1-based) of the node at ``path`` in a YAML/JSON text; the key's line for keys.

    Walks as deep as the path exists, so a missing key reports its parent's line.
    """
    try:
        node: yaml.Node | None = yaml.compose(text, Loader=_DataLoader)
    except yaml.YAMLError:
        return None
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    line = key_node.start_mark.line + 1
                    node = value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def dotted(path: Sequence[str | int]) -> str:
    """``["acme", "environments", 0]`` -> ``acme.environments.0``."""
    return ".".join(str(p) for p in path)


def fill_roles(node: Any, source: str) -> Any:
    """``node`` with each ``ROLES_KEYWORD`` replaced by the enum of that group of
    ``gatekeeper.domain.roles``, so that no schema spells a role name of its own."""
    if isinstance(node, list):
        return [fill_roles(item, source) for item in node]
    if not isinstance(node, dict):
        return node
    filled = {key: fill_roles(item, source) for key, item in node.items()
              if key != ROLES_KEYWORD}
    if ROLES_KEYWORD in node:
        name = node[ROLES_KEYWORD]
        group = getattr(roles, name, None) if isinstance(name, str) and name.isupper() else None
        if not (isinstance(group, tuple) and group and all(isinstance(r, str) for r in group)):
            raise BundleError(source, f"{ROLES_KEYWORD}: {name!r} is not a role group of "
                                      "gatekeeper.domain.roles")
        filled["enum"] = list(group)
    return filled


def load_schema(schema_path: Path) -> dict[str, Any]:
    """Read a JSON Schema and fill its role groups from ``gatekeeper.domain.roles``."""
    try:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise BundleError(str(schema_path), f"cannot read schema: {exc}") from exc
    return dict(fill_roles(schema, str(schema_path)))


def validate(top: str, value: Any, files: Sequence[DataFile], schema_path: Path) -> None:
    """Validate ``data[top]`` against its schema; report the first error (by file order)."""
    schema = load_schema(schema_path)
    validator_cls = jsonschema.validators.validator_for(schema)
    validator = validator_cls(schema, format_checker=validator_cls.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(value), key=lambda e: [str(p) for p in e.path])
    if not errors:
        return
    # A value that fits none of a oneOf's shapes: name the problem in the shape it was
    # nearest to ("closed_on.3.date: '2027-02-30' is not a 'date'"), not the whole value.
    error = jsonschema.exceptions.best_match([errors[0]]) or errors[0]
    path = list(error.absolute_path)
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    # The file owning this node: the deepest one whose place (below ``top``) prefixes the path.
    for data_file in sorted(files, key=lambda f: len(f.place), reverse=True):
        below = list(data_file.place[1:])
        if path[: len(below)] == below:
            rel = path[len(below) :]
            # A root data file (place ()) holds ``top`` itself as a key.
            line = line_of(data_file.text, rel if data_file.place else [top, *rel])
            raise BundleError(data_file.display, f"{error.message}{more}", line, dotted(rel))
    raise BundleError(files[0].display, f"{top}: {error.message}{more}", None, dotted(path))
