"""Loading a bundle: layout, data placement, and errors that name file, line and path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gatekeeper.domain.errors import BundleError
from gatekeeper.engine import load_bundle

ENTRY = 'package gatekeeper\n\nimport rego.v1\n\ndecision := {"outcome": "allow"}\n'
FIXTURES = Path(__file__).parent / "fixtures" / "bundles"

CUSTOMER_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "required": ["tier"],
        "properties": {
            "tier": {"enum": ["bronze", "silver", "gold"]},
            "environments": {
                "type": "array",
                "items": {"type": "object", "properties": {"hours": {"type": "integer"}}},
            },
        },
    },
}


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def bundle_with(tmp_path: Path, files: dict[str, str]) -> Path:
    """A valid entry point plus ``files`` under ``tmp_path/policies``."""
    return write(tmp_path / "policies", {"gatekeeper/decision.rego": ENTRY, **files})


@pytest.fixture
def schemas(tmp_path: Path) -> Path:
    folder = tmp_path / "schemas"
    folder.mkdir()
    (folder / "customers.schema.json").write_text(json.dumps(CUSTOMER_SCHEMA))
    return folder


def load_error(root: Path, **kwargs: object) -> BundleError:
    with pytest.raises(BundleError) as caught:
        load_bundle(root, **kwargs)  # type: ignore[arg-type]
    return caught.value


def test_loads_modules_tests_and_data_by_folder(tmp_path: Path) -> None:
    root = bundle_with(
        tmp_path,
        {
            "gatekeeper/decision_test.rego": "",
            "customers/data.yaml": "acme:\n  tier: gold\n  window: 2026-11-24\n",
            "customers/globex/data.json": '{"tier": "silver"}',
            "data.yaml": "top: 1\n",
            "README.md": "ignored",
            ".git/config.rego": "not rego",
        },
    )
    (root / "gatekeeper/decision_test.rego").write_text(
        "package gatekeeper_test\n\ntest_x if true\n"
    )
    bundle = load_bundle(root, schema_dir=None)
    assert set(bundle.modules) == {"gatekeeper/decision.rego"}
    assert set(bundle.test_modules) == {"gatekeeper/decision_test.rego"}
    assert bundle.data == {
        "customers": {
            "acme": {"tier": "gold", "window": "2026-11-24"},
            "globex": {"tier": "silver"},
        },
        "top": 1,
    }
    assert bundle.revision.startswith("sha256:") and len(bundle.revision) == 7 + 64


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    root = bundle_with(tmp_path, {"customers/data.yaml": "acme:\n  tier: gold\n bad: [1\n"})
    error = load_error(root)
    assert error.file.endswith("policies/customers/data.yaml")
    assert error.line == 3
    assert "invalid YAML" in error.problem
    assert "customers/data.yaml:3" in str(error)


def test_duplicate_yaml_key_names_its_line(tmp_path: Path) -> None:
    root = bundle_with(tmp_path, {"customers/data.yaml": "acme:\n  tier: gold\n  tier: silver\n"})
    error = load_error(root)
    assert (error.line, "duplicate key 'tier'" in error.problem) == (3, True)


def test_non_string_key_is_refused(tmp_path: Path) -> None:
    error = load_error(bundle_with(tmp_path, {"sla/data.yaml": "99.9: gold\n"}))
    assert error.line == 1 and "not a string" in error.problem


def test_data_file_must_hold_a_mapping(tmp_path: Path) -> None:
    error = load_error(bundle_with(tmp_path, {"catalog/data.yaml": "- a\n- b\n"}))
    assert error.file.endswith("catalog/data.yaml") and "mapping" in error.problem


def test_data_must_be_json(tmp_path: Path) -> None:
    error = load_error(bundle_with(tmp_path, {"sla/data.yaml": "budget: .inf\n"}))
    assert "not representable as JSON" in error.problem


def test_broken_json_names_file_and_line(tmp_path: Path) -> None:
    error = load_error(bundle_with(tmp_path, {"catalog/data.json": '{\n  "a": 1,\n  "b": \n}\n'}))
    assert error.file.endswith("catalog/data.json") and error.line == 4


def test_schema_violation_names_file_line_and_path(tmp_path: Path, schemas: Path) -> None:
    text = "acme:\n  tier: gold\n  environments:\n    - hours: 4\n    - hours: many\n"
    root = bundle_with(tmp_path, {"customers/data.yaml": text})
    error = load_error(root, schema_dir=schemas)
    assert error.file.endswith("customers/data.yaml")
    assert (error.line, error.path) == (5, "acme.environments.1.hours")
    assert "'many' is not of type 'integer'" in error.problem
    assert "customers/data.yaml:5: at acme.environments.1.hours" in str(error)


def test_schema_missing_property_points_at_the_parent(tmp_path: Path, schemas: Path) -> None:
    root = bundle_with(tmp_path, {"customers/data.yaml": "acme:\n  tier: gold\nglobex:\n  x: 1\n"})
    error = load_error(root, schema_dir=schemas)
    assert (error.line, error.path) == (3, "globex")
    assert "'tier' is a required property" in error.problem


def test_schema_applies_to_nested_data_files(tmp_path: Path, schemas: Path) -> None:
    root = bundle_with(tmp_path, {"customers/acme/data.yaml": "\ntier: platinum\n"})
    error = load_error(root, schema_dir=schemas)
    assert error.file.endswith("customers/acme/data.yaml")
    assert (error.line, error.path) == (2, "tier")


def test_an_impossible_closed_date_names_its_own_line(tmp_path: Path) -> None:
    # The project's schema, where support hours are one of two shapes: the error names the
    # date that is wrong, not the whole support_hours value.
    root = tmp_path / "policies"
    shutil.copytree(Path(__file__).parent.parent / "policies", root)
    data = root / "customers" / "data.yaml"
    text = data.read_text(encoding="utf-8")
    assert '"2027-03-29"' in text
    data.write_text(text.replace('"2027-03-29"', '"2027-02-30"'), encoding="utf-8")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if '"2027-03-29"' in t)
    error = load_error(root)
    assert error.file.endswith("customers/data.yaml")
    assert error.line == line
    assert error.path is not None and error.path.endswith(".support_hours.closed_on.3.date")
    assert "'2027-02-30' is not a 'date'" in error.problem


def test_schemas_are_optional(tmp_path: Path) -> None:
    root = bundle_with(tmp_path, {"customers/data.yaml": "acme:\n  tier: platinum\n"})
    assert load_bundle(root, schema_dir=None).data["customers"]["acme"]["tier"] == "platinum"


def test_two_files_defining_one_value_clash(tmp_path: Path) -> None:
    root = bundle_with(
        tmp_path, {"customers/data.yaml": "a: 1\n", "customers/data.json": '{"a": 2}'}
    )
    assert "defined by two data files" in load_error(root).problem


def test_rego_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    bad = "package gatekeeper.rules.bad\n\nimport rego.v1\n\nallow if {\n  input.x ==\n"
    error = load_error(bundle_with(tmp_path, {"gatekeeper/rules/bad/bad.rego": bad}))
    assert error.file.endswith("policies/gatekeeper/rules/bad/bad.rego")
    assert error.line == 7
    assert "Stack backtrace" not in str(error)


def test_rego_compile_error_names_file_and_line(tmp_path: Path) -> None:
    bad = "package gatekeeper.rules.bad\n\nimport rego.v1\n\nallow if {\n  foo == bar\n}\n"
    error = load_error(bundle_with(tmp_path, {"gatekeeper/rules/bad/bad.rego": bad}))
    assert error.file.endswith("gatekeeper/rules/bad/bad.rego")
    assert error.line == 6
    assert "unsafe" in error.problem


def test_broken_test_module_fails_the_load(tmp_path: Path) -> None:
    error = load_error(
        bundle_with(tmp_path, {"gatekeeper/x_test.rego": "package x_test\n\ntest_a if {\n"})
    )
    assert error.file.endswith("gatekeeper/x_test.rego")


def test_empty_folder_and_missing_folder_are_errors(tmp_path: Path) -> None:
    assert "no Rego modules" in load_error(tmp_path).problem
    assert "not a directory" in load_error(tmp_path / "missing").problem


def test_missing_entry_point_is_an_error(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"other/x.rego": "package other\n\nx := 1\n"})
    assert "data.gatekeeper.decision" in load_error(root).problem
    assert load_bundle(root, entrypoint=None).modules


def test_revision_is_stable_and_tracks_every_file(tmp_path: Path) -> None:
    root = tmp_path / "a"
    shutil.copytree(FIXTURES / "basic", root)
    first = load_bundle(root, schema_dir=None).revision
    assert load_bundle(root, schema_dir=None).revision == first
    copy = tmp_path / "b"
    shutil.copytree(root, copy)
    assert load_bundle(copy, schema_dir=None).revision == first

    seen = {first}
    for rel in ("accounts/data.yaml", "gatekeeper/decision.rego", "gatekeeper/decision_test.rego"):
        path = root / rel
        path.write_text(path.read_text() + "\n# edited\n")
        revision = load_bundle(root, schema_dir=None).revision
        assert revision not in seen, f"editing {rel} kept the revision"
        seen.add(revision)

    (root / "gatekeeper/decision.rego").rename(root / "gatekeeper/renamed.rego")
    assert load_bundle(root, schema_dir=None).revision not in seen


VIEWS = """package gatekeeper.views

import rego.v1

tiers := {name: v | t = data.tiers[name]; v = t.level * 10}

_helper := 1
"""


def test_views_are_computed_once_from_data_and_served_as_data_views(tmp_path: Path) -> None:
    root = bundle_with(tmp_path, {
        "gatekeeper/views/views.rego": VIEWS,
        "tiers/data.yaml": "gold: {level: 3}\nsilver: {level: 2}\n",
    })
    bundle = load_bundle(root, schema_dir=None)
    assert bundle.data["views"] == {"tiers": {"gold": 30, "silver": 20}}  # no _helper
    assert "views" not in load_bundle(FIXTURES / "basic", schema_dir=None).data


def test_a_view_that_fails_stops_the_load_naming_the_package(tmp_path: Path) -> None:
    broken = VIEWS.replace("t.level * 10", "t.level / 0")
    root = bundle_with(tmp_path, {
        "gatekeeper/views/views.rego": broken,
        "tiers/data.yaml": "gold: {level: 3}\n",
    })
    error = load_error(root, schema_dir=None)
    assert "bundle views (data.gatekeeper.views)" in error.problem
    assert "Stack backtrace" not in str(error)


def test_a_data_folder_named_views_is_refused(tmp_path: Path) -> None:
    root = bundle_with(tmp_path, {
        "gatekeeper/views/views.rego": VIEWS,
        "tiers/data.yaml": "gold: {level: 3}\n",
        "views/data.yaml": "x: 1\n",
    })
    assert "reserved for bundle views" in load_error(root, schema_dir=None).problem
