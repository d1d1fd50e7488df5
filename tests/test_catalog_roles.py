"""The catalogue schema takes its approver roles from gatekeeper.domain.roles, not a literal."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gatekeeper.domain.errors import BundleError
from gatekeeper.domain.roles import DECIDERS, ROLES
from gatekeeper.engine import load_bundle
from gatekeeper.engine.bundle import SCHEMA_DIR
from gatekeeper.engine.datafiles import ROLES_KEYWORD, fill_roles, load_schema

POLICIES = Path(__file__).resolve().parent.parent / "policies"


def _approver_roles_schema() -> dict[str, object]:
    schema = load_schema(SCHEMA_DIR / "catalog.schema.json")
    text = json.dumps(schema)
    assert ROLES_KEYWORD not in text
    found: list[dict[str, object]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "roles that may approve" in str(node.get("description", "")):
                found.append(node)
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schema)
    assert len(found) == 1
    return found[0]


def test_the_schema_file_names_no_role_and_the_loader_fills_deciders() -> None:
    raw = (SCHEMA_DIR / "catalog.schema.json").read_text(encoding="utf-8")
    for role in ROLES:
        assert f'"{role}"' not in raw, f"catalog.schema.json spells the role {role!r}"
    assert _approver_roles_schema()["items"] == {"enum": list(DECIDERS)}


def test_a_catalogue_naming_an_unknown_approver_role_is_refused_at_its_line(
    tmp_path: Path,
) -> None:
    root = tmp_path / "policies"
    shutil.copytree(POLICIES, root)
    data = root / "catalog" / "data.yaml"
    lines = data.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(n for n, line in enumerate(lines) if "roles: [approver]" in line)
    lines[at] = lines[at].replace("[approver]", "[approver, overlord]")
    data.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(BundleError) as caught:
        load_bundle(root)
    error = caught.value
    assert error.file.endswith("catalog/data.yaml") and error.line == at + 1
    assert error.path.endswith("approval.roles.1")
    assert "'overlord' is not one of" in error.problem
    assert f"catalog/data.yaml:{at + 1}: at " in str(error)


def test_every_decider_is_accepted_as_an_approver_role(tmp_path: Path) -> None:
    root = tmp_path / "policies"
    shutil.copytree(POLICIES, root)
    data = root / "catalog" / "data.yaml"
    text = data.read_text(encoding="utf-8")
    data.write_text(text.replace("roles: [approver]", f"roles: [{', '.join(DECIDERS)}]", 1),
                    encoding="utf-8")
    load_bundle(root)


def test_a_schema_naming_an_unknown_role_group_is_refused() -> None:
    with pytest.raises(BundleError, match="not a role group"):
        fill_roles({"items": {ROLES_KEYWORD: "OVERLORDS"}}, "x.schema.json")
    with pytest.raises(BundleError, match="not a role group"):
        fill_roles({"items": {ROLES_KEYWORD: "is_msp_staff"}}, "x.schema.json")
