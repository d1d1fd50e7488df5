"""Running Rego policy tests on regorus: results, failure details, prints and coverage."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gatekeeper.engine import load_bundle
from gatekeeper.engine.policy_tests import engine_groups, run_policy_tests

FIXTURES = Path(__file__).parent / "fixtures" / "bundles"

FAILING_TESTS = """package extra_test

import data.gatekeeper
import rego.v1

ask(access) := {"request": {"customer": "acme", "access": access, "ticket": "T"}}

test_passes if {
	gatekeeper.decision.outcome == "allow" with input as ask("read_only")
}

test_wrong_outcome if {
	decision := gatekeeper.decision with input as ask("full_admin")
	print("outcome was", decision.outcome)
	decision.outcome == "allow"
}

test_undefined if {
	gatekeeper.decision.outcome == "allow" with input as {}
}

test_value_not_true := 3

test_errors if {
	data.gatekeeper.faults.ratio == 1 with input as {"divisor": 0}
}

test_helper(x) := x
"""


@pytest.fixture
def bundle_root(tmp_path: Path) -> Path:
    root = tmp_path / "basic"
    shutil.copytree(FIXTURES / "basic", root)
    return root


def test_fixture_tests_pass_with_coverage() -> None:
    report = run_policy_tests(load_bundle(FIXTURES / "basic", schema_dir=None))
    assert [r.name for r in report.results] == [
        "test_read_only_is_allowed",
        "test_full_admin_costs_downtime",
    ]
    assert report.ok and report.passed == 2 and report.failed == 0
    assert all(r.package == "gatekeeper_test" and r.duration_ms >= 0 for r in report.results)
    assert report.results[0].location.endswith("gatekeeper/decision_test.rego:8")
    assert report.coverage_percent is not None and 0 < report.coverage_percent <= 100
    coverage = {Path(f.file).name: f.percent for f in report.files}
    assert set(coverage) == {"decision.rego", "faults.rego"}
    assert coverage["faults.rego"] == 0.0  # no test evaluates it


def test_failures_report_location_value_prints_and_source(bundle_root: Path) -> None:
    (bundle_root / "gatekeeper" / "extra_test.rego").write_text(FAILING_TESTS)
    report = run_policy_tests(load_bundle(bundle_root, schema_dir=None))
    results = {r.name: r for r in report.results if r.package == "extra_test"}
    assert set(results) == {
        "test_passes",
        "test_wrong_outcome",
        "test_undefined",
        "test_value_not_true",
        "test_errors",
    }
    assert results["test_passes"].passed
    wrong = results["test_wrong_outcome"]
    assert not wrong.passed and wrong.actual == "undefined"
    assert wrong.location.endswith("extra_test.rego:12")
    assert wrong.prints == ("gatekeeper/extra_test.rego:14: outcome was allow_with_consequences",)
    assert wrong.source.splitlines()[0] == "test_wrong_outcome if {"
    assert wrong.source.splitlines()[-1] == "}"
    assert results["test_undefined"].actual == "undefined"
    assert results["test_value_not_true"].actual == "3"
    errored = results["test_errors"]
    assert not errored.passed and errored.error is not None
    assert "divide by zero" in errored.error and "faults.rego:6" in errored.error
    assert report.failed == 4 and not report.ok
    assert [f.name for f in report.failures()] == [
        "test_wrong_outcome",
        "test_undefined",
        "test_value_not_true",
        "test_errors",
    ]


def test_pattern_selects_tests(bundle_root: Path) -> None:
    report = run_policy_tests(load_bundle(bundle_root, schema_dir=None), pattern="read_only")
    assert [r.name for r in report.results] == ["test_read_only_is_allowed"]


def test_unevaluated_modules_count_as_not_covered(bundle_root: Path) -> None:
    (bundle_root / "gatekeeper" / "unused.rego").write_text(
        "package other.unused\n\nimport rego.v1\n\nx if {\n\tinput.a\n\tinput.b\n}\n"
    )
    report = run_policy_tests(load_bundle(bundle_root, schema_dir=None), pattern="read_only")
    unused = next(f for f in report.files if f.file.endswith("unused.rego"))
    assert unused.covered == () and unused.not_covered == (6, 7)
    assert unused.percent == 0.0
    assert report.coverage_percent is not None and report.coverage_percent < 100


def test_coverage_can_be_turned_off() -> None:
    report = run_policy_tests(load_bundle(FIXTURES / "basic", schema_dir=None), coverage=False)
    assert report.ok and report.coverage_percent is None and report.files == ()


HELPERS = """package shared_test

import rego.v1

allowed_input := {"request": {"customer": "acme", "access": "read_only", "ticket": "T"}}
"""

USES_HELPERS = """package uses_test

import data.gatekeeper
import rego.v1

test_finds_the_helper_of_another_test_package if {
	gatekeeper.decision.outcome == "allow" with input as data.shared_test.allowed_input
}
"""

def test_each_test_package_runs_beside_only_the_test_packages_it_names(
        bundle_root: Path) -> None:
    """Test packages get engines of their own (the decision reads whole packages, and other
    packages' tests made it ~20x slower), but a test still finds the helpers it names."""
    for name, text in (("shared", HELPERS), ("uses", USES_HELPERS)):
        (bundle_root / f"{name}_test.rego").write_text(text)
    report = run_policy_tests(load_bundle(bundle_root))
    outcome = {r.name: r.passed for r in report.results}
    assert outcome["test_finds_the_helper_of_another_test_package"] is True
    assert report.ok, [r.full_name for r in report.failures()]
    groups = engine_groups({
        "a_test.rego": "package a_test\n", "b_test.rego": "package b_test\nx := data.a_test.y\n",
        "c_test.rego": "package c_test\n", "more/c_test.rego": "package c_test\n",
        "d_test.rego": "package d_test\n# data.a_tests is another name\n"})
    assert groups == [{"a_test.rego", "b_test.rego"}, {"c_test.rego", "more/c_test.rego"},
                      {"d_test.rego"}]
