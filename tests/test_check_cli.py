"""``gatekeeper check`` as CI runs it: on the real bundle, and on broken copies of it."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cli_helpers import ROOT, run_cli, set_in_block


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A copy of policies/ and examples/requests/ to break."""
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    shutil.copytree(ROOT / "examples" / "requests", tmp_path / "examples" / "requests")
    return tmp_path


def test_real_bundle_passes() -> None:
    result = run_cli(ROOT, "check", "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    doc = json.loads(result.stdout)
    assert doc["ok"] is True and doc["findings"] == []
    steps = {s["name"]: s for s in doc["steps"]}
    assert set(steps) == {"compile", "data", "tests", "coverage", "examples", "metadata",
                          "engines"}
    # the serving default (regorus-rvm) is compared with the reference, regorus
    assert "regorus-rvm answers" in steps["engines"]["summary"]
    assert all(s["status"] == "passed" for s in steps.values())
    assert steps["tests"]["cases"] and steps["examples"]["cases"]
    assert 0 < doc["coverage"] <= 100


def test_compiled_engine_answers_the_examples_and_synthetic_requests_as_the_reference() -> None:
    result = run_cli(ROOT, "check", "--engine", "regorus-rvm", "--synthetic", "150",
                     "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    engines = next(s for s in json.loads(result.stdout)["steps"] if s["name"] == "engines")
    assert engines["status"] == "passed"
    compared = int(re.search(r"answers (\d+) of (\d+)", engines["summary"]).group(2))
    examples = len(list((ROOT / "examples" / "requests").glob("*.json")))
    assert examples + 100 <= compared <= examples + 150  # synthetic requests were compared


# A runtime error inside a rule: the interpreter refuses the decision (fails closed); on
# regorus-rvm the consequence is dropped, the package no longer produces what it announced,
# so the VM has no decision either and the interpreter's error is the answer.
_DIVIDES_BY_ZERO = """package gatekeeper.rules.per_system

import rego.v1

# METADATA
# title: Hours of access per named system
# custom:
#   code: GK-TEST-001
consequences contains c if {
	input.request.access == "full_admin"
	share = input.request.duration_hours / count(input.request.systems)
	c = {
		"id": "per_system", "kind": "effort", "severity": "low", "title": "hours per system",
		"summary": sprintf("%v h per system", [share]),
		"rule": "gatekeeper.rules.per_system.consequences",
	}
}

# METADATA
# title: What this package will produce
# custom:
#   code: GK-TEST-002
announced contains "consequences:per_system" if input.request.access == "full_admin"
"""


def test_a_runtime_error_in_a_rule_fails_closed_on_every_engine(work: Path) -> None:
    package = work / "policies" / "gatekeeper" / "rules" / "per_system"
    package.mkdir()
    (package / "per_system.rego").write_text(_DIVIDES_BY_ZERO)
    result = run_cli(work, "check", "--policies", "policies", "--engine", "regorus-rvm",
                     "--synthetic", "300", "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    steps = {s["name"]: s for s in json.loads(result.stdout)["steps"]}
    # both engines refuse the same requests: they agree, nothing answers with less
    assert steps["engines"]["status"] == "passed", steps["engines"]
    # the full-admin example names no systems: the decision fails, naming the division
    failed = {c["name"]: c for c in steps["examples"]["cases"] if c["status"] == "failed"}
    assert "divide by zero" in failed["01_full_admin_software_install_acme.json"]["message"]


def test_a_rules_package_without_announcements_is_named(work: Path) -> None:
    package = work / "policies" / "gatekeeper" / "rules" / "per_system"
    package.mkdir()
    silent = _DIVIDES_BY_ZERO.split("# METADATA\n# title: What this package")[0]
    (package / "per_system.rego").write_text(silent.replace(
        "/ count(input.request.systems)", "/ 1"))
    result = run_cli(work, "check", "--policies", "policies", "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    steps = {s["name"]: s for s in json.loads(result.stdout)["steps"]}
    failed = [c for c in steps["examples"]["cases"] if c["status"] == "failed"]
    assert failed and all(
        "rules package per_system" in c["message"] and "has no `announced` rule" in c["message"]
        for c in failed), failed[0]["message"]


def test_syntax_errors_in_two_modules_are_both_reported(work: Path) -> None:
    first = work / "policies" / "gatekeeper" / "rules" / "sla" / "sla.rego"
    second = work / "policies" / "gatekeeper" / "rules" / "time_box" / "time_box.rego"
    n1 = len(first.read_text().splitlines())
    first.write_text(first.read_text() + "\nbroken if {\n  input.x ==\n}\n")
    second.write_text(second.read_text() + "\nalso_broken contains x if {\n")
    result = run_cli(work, "check", "--policies", "policies")
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(rf"policies/gatekeeper/rules/sla/sla.rego:{n1 + 4}: compile: ", result.stdout)
    assert "policies/gatekeeper/rules/time_box/time_box.rego:" in result.stdout
    assert "skip tests" in result.stdout  # later steps cannot run on a broken bundle
    gh = run_cli(work, "check", "--policies", "policies", "--format", "github")
    errors = [ln for ln in gh.stdout.splitlines() if ln.startswith("::error ")]
    assert len(errors) == 2
    assert errors[0].startswith(
        f"::error file=policies/gatekeeper/rules/sla/sla.rego,line={n1 + 4},title=")


def test_schema_violation_names_file_and_line(work: Path) -> None:
    tiers = work / "policies" / "sla_tiers" / "data.yaml"
    tiers.write_text(set_in_block(tiers.read_text(), "gold", "uptime_target_percent", "lots"))
    line = next(i for i, t in enumerate(tiers.read_text().splitlines(), 1) if "lots" in t)
    result = run_cli(work, "check", "--policies", "policies", "--format", "json")
    assert result.returncode == 1
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["step"] == "data"
    assert finding["file"] == "policies/sla_tiers/data.yaml" and finding["line"] == line


def test_missing_metadata_code_and_failing_example(work: Path) -> None:
    module = work / "policies" / "gatekeeper" / "rules" / "time_box" / "time_box.rego"
    module.write_text(module.read_text() + "\n# a helper without METADATA\nexposed := 1\n")
    line = len(module.read_text().splitlines())
    example = sorted((work / "examples" / "requests").glob("*.json"))[0]
    doc = json.loads(example.read_text())
    doc["expect"] = {"outcome": "deny" if doc["expect"].get("outcome") != "deny" else "allow"}
    example.write_text(json.dumps(doc, indent=2))
    result = run_cli(work, "check", "--policies", "policies", "--format", "junit")
    assert result.returncode == 1
    suites = {s.get("name"): s for s in ET.fromstring(result.stdout).iter("testsuite")}
    meta = suites["gatekeeper.metadata"]
    assert meta.get("failures") == "1"
    failed = [c for c in meta.iter("testcase") if c.find("failure") is not None]
    assert failed[0].get("line") == str(line)
    assert "data.gatekeeper.rules.time_box.exposed" in failed[0].find("failure").get("message")
    examples = suites["gatekeeper.examples"]
    assert examples.get("failures") == "1"
    bad = next(c for c in examples.iter("testcase") if c.find("failure") is not None)
    assert bad.get("name") == example.name and "outcome: expected" in bad.find(
        "failure").get("message")


def test_a_view_reading_input_is_a_finding(work: Path) -> None:
    views = work / "policies" / "gatekeeper" / "views" / "views.rego"
    views.write_text(views.read_text() + (
        "\n# METADATA\n# title: t\n# custom:\n#   code: X-1\n"
        "who := input.identity.subject  # input is undefined when views are computed\n"))
    line = len(views.read_text().splitlines())
    result = run_cli(work, "check", "--policies", "policies", "--format", "github")
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [ln for ln in result.stdout.splitlines() if ln.startswith("::error ")]
    assert len(errors) == 1, result.stdout
    assert errors[0].startswith(f"::error file=policies/gatekeeper/views/views.rego,line={line},")
    assert "must not read input" in errors[0]


def test_a_view_that_changes_an_answer_fails_the_examples(work: Path) -> None:
    """A view that is not what its function gives is caught by replaying without views."""
    views = work / "policies" / "gatekeeper" / "views" / "views.rego"
    text = views.read_text()
    call = ("some effect in "
            "[data.gatekeeper.rules.sla.effect(customer_id, environment_id, access_id)]")
    assert call in text
    views.write_text(text.replace(call, call.replace("some effect in", "some found in") +
                                  '\n\teffect = object.union(found, {"message": "stale"})'))
    result = run_cli(work, "check", "--policies", "policies", "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    findings = json.loads(result.stdout)["findings"]
    by_step = {f["step"] for f in findings}
    assert by_step == {"tests", "examples"}, findings  # the views' own test fails too
    replayed = [f for f in findings if f["step"] == "examples"]
    assert replayed and all(f["name"].endswith(" without views") for f in replayed)
    assert "differs without data.views" in replayed[0]["message"]


def test_min_coverage_threshold(work: Path, tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    result = run_cli(work, "check", "--policies", "policies", "--min-coverage", "100",
                     "--format", "junit", "--output", str(report))
    covered = json.loads(run_cli(work, "check", "--policies", "policies", "--format",
                                 "json").stdout)["coverage"]
    if covered >= 100:
        assert result.returncode == 0
        return
    assert result.returncode == 1
    assert "FAIL coverage" in result.stdout  # the text summary still goes to the log
    suite = next(s for s in ET.parse(report).getroot() if s.get("name") == "gatekeeper.coverage")
    assert suite.get("failures") == "1"


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "check", "--policies", "nowhere")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == "error: --policies nowhere: no such folder or bundle archive"
    help_text = run_cli(tmp_path, "check", "--help").stdout
    assert "Exit codes: 0 every step passed, 1 findings" in help_text


def test_an_example_lifecycle_that_does_not_hold_is_a_finding(work: Path) -> None:
    """Example steps replay on the domain's request record: an approval that would grant
    before the requester accepted, or a step with an unknown action, fails the check."""
    example = work / "examples" / "requests" / "15_acceptance_after_approval_acme.json"
    doc = json.loads(example.read_text())
    doc["steps"][1]["expect"]["state"] = "granted"  # approval alone never grants
    doc["steps"].append({"action": "teleport"})
    example.write_text(json.dumps(doc, indent=2))
    result = run_cli(work, "check", "--policies", "policies", "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    findings = [f["message"] for f in json.loads(result.stdout)["findings"]
                if f["file"].endswith("15_acceptance_after_approval_acme.json")]
    assert len(findings) == 1, findings
    assert "steps[1] (approve): state: expected 'granted', got 'awaiting_acceptance'" \
        in findings[0]
    assert "steps[3].action must be one of accept, approve" in findings[0]


def test_a_route_to_an_unknown_contact_names_the_customer_and_the_contact(work: Path) -> None:
    data = work / "policies" / "customers" / "data.yaml"
    text = data.read_text()
    globex = text.index("\nglobex:")
    route = text.index("overdue: [service_manager, msp_on_call]", globex)
    data.write_text(text[:route] + "overdue: [service_manager, cto]" +
                    text[route + len("overdue: [service_manager, msp_on_call]"):])
    line = data.read_text()[:route].count("\n") + 1
    result = run_cli(work, "check", "--policies", "policies", "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["step"] == "data"]
    assert finding["file"] == "policies/customers/data.yaml" and finding["line"] == line
    assert "customer globex: notify.routes.overdue names the unknown contact cto" in \
        finding["message"]
