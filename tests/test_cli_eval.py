"""``gatekeeper eval`` run as a subprocess, the way an engineer or a pipeline calls it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import example_files, load_example


def gatekeeper(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gatekeeper", *args],
        input=stdin, capture_output=True, text=True, timeout=120,
    )


def test_eval_prints_a_readable_answer() -> None:
    path = next(p for p in example_files() if "full_admin" in p.stem)
    result = gatekeeper("eval", str(path))
    assert result.returncode == 0, result.stderr
    expected = load_example("full_admin")["expect"]["outcome"]
    assert result.stdout.startswith(expected.upper())
    assert "24" in result.stdout and "Safer alternatives" in result.stdout
    assert "why:" in result.stdout


def test_eval_json_from_stdin_on_every_engine() -> None:
    example = load_example("full_admin")
    outcomes = set()
    for engine in ("regorus-rvm", "regorus", "regopy"):
        result = gatekeeper("eval", "-", "--json", "--engine", engine, stdin=json.dumps(example))
        assert result.returncode == 0, result.stderr
        decision = json.loads(result.stdout)
        assert decision["policy"]["engine"] == engine
        outcomes.add(decision["outcome"])
    assert outcomes == {example["expect"]["outcome"]}


def test_eval_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "customer": "acme",\n  "access" "full_admin"\n}\n')
    result = gatekeeper("eval", str(bad))
    assert result.returncode == 2
    assert f"{bad}:3:" in result.stderr and "invalid JSON" in result.stderr
    assert "Traceback" not in result.stderr


def test_eval_validation_error_names_fields(tmp_path: Path) -> None:
    bad = tmp_path / "req.json"
    bad.write_text(json.dumps({"customer": "acme", "duration_hours": -1}))
    result = gatekeeper("eval", str(bad))
    assert result.returncode == 2
    assert "duration_hours" in result.stderr and "environment: is required" in result.stderr


def test_eval_missing_file() -> None:
    result = gatekeeper("eval", "/nonexistent/request.json")
    assert result.returncode == 2
    assert "/nonexistent/request.json: cannot read" in result.stderr


def test_eval_decides_on_the_files_context_else_an_empty_one() -> None:
    """eval opens no database: an example's ``context`` is input.context, else empty lists."""
    example = load_example("10_month_to_date")
    with_context = gatekeeper("eval", "--json", "-", stdin=json.dumps(example))
    assert with_context.returncode == 0, with_context.stderr
    sla = {c["kind"]: c for c in json.loads(with_context.stdout)["consequences"]}["sla"]
    assert sla["sla_minutes_used_this_month"] == 480
    bare = gatekeeper("eval", "--json", "-", stdin=json.dumps({**example, "context": None}))
    found = {c["kind"]: c for c in json.loads(bare.stdout)["consequences"]}
    assert found["sla"]["sla_minutes_used_this_month"] == 0 and "overlap" not in found
    wrong = gatekeeper("eval", "-", stdin=json.dumps({**example, "context": []}))
    assert wrong.returncode != 0 and "context" in wrong.stderr
