"""A broken bundle refuses to serve; a policy that errors or answers badly fails closed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gatekeeper.app import create_app
from tests.conftest import POLICIES, authed_client, load_example

BROKEN_DECISION = """package gatekeeper

import rego.v1

decision := {"outcome": "allow", "summary": sprintf("%d", [1 / count(input.request.systems)])}
"""

FLAT_DENIAL = """package gatekeeper

import rego.v1

decision := {"outcome": "deny", "summary": "No."}
"""


def _bundle_with(tmp_path: Path, decision_rego: str) -> Path:
    """A copy of the real data with a replacement entry point."""
    root = tmp_path / "policies"
    for folder in ("catalog", "customers", "sla_tiers"):
        (root / folder).mkdir(parents=True)
        (root / folder / "data.yaml").write_text((POLICIES / folder / "data.yaml").read_text())
    (root / "gatekeeper").mkdir()
    (root / "gatekeeper" / "decision.rego").write_text(decision_rego)
    return root


def test_serve_refuses_to_start_on_invalid_yaml(tmp_path: Path) -> None:
    root = _bundle_with(tmp_path, FLAT_DENIAL)
    (root / "customers" / "data.yaml").write_text("acme:\n  tier: gold\n   name: bad indent\n")
    env = dict(os.environ, GATEKEEPER_POLICIES=str(root), GATEKEEPER_INSTANCE_PATH=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "gatekeeper", "serve", "--port", "0"],
        env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "customers/data.yaml:3" in result.stderr
    assert "Traceback" not in result.stderr


def test_readyz_fails_without_a_bundle(tmp_path: Path) -> None:
    root = _bundle_with(tmp_path, "package gatekeeper\n\nimport rego.v1\n\ndecision := {\n")
    app = create_app({"TESTING": True, "POLICIES": str(root), "REQUIRE_POLICIES": False,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    detail = response.get_json()["detail"]
    assert "gatekeeper/decision.rego:6" in detail and "expecting expression" in detail
    decided = authed_client(app).post("/v1/decisions", json=load_example("full_admin")["request"])
    assert decided.status_code == 503
    assert decided.mimetype == "application/problem+json"


def test_engine_error_fails_closed(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "POLICIES": str(_bundle_with(tmp_path, BROKEN_DECISION)),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}"})
    body = dict(load_example("full_admin")["request"], systems=[])
    response = authed_client(app).post("/v1/decisions", json=body)
    assert response.status_code == 503
    problem = response.get_json()
    assert problem["code"] == "engine_error"
    assert "outcome" not in problem


def test_flat_denial_is_a_policy_error(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "POLICIES": str(_bundle_with(tmp_path, FLAT_DENIAL)),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}"})
    response = authed_client(app).post("/v1/decisions", json=load_example("full_admin")["request"])
    assert response.status_code == 503
    assert response.get_json()["code"] == "policy_error"
    assert "no alternative" in response.get_json()["detail"]
