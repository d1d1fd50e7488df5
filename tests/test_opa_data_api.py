"""OPA's Data API on Gatekeeper's bundle: what OPA clients get, and what they may not do."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gatekeeper.app import create_app
from gatekeeper.bootstrap import services
from gatekeeper.engine.bundle_archive import roots_of
from gatekeeper.engine.expectations import example_input
from tests.conftest import authed_client, load_example
from tests.test_engine_contract import FIXTURES

Headers = Callable[..., dict[str, str]]


@pytest.fixture
def ci(app: Flask) -> FlaskClient:
    return authed_client(app, "ci")


def example_payload(name: str = "full_admin") -> dict[str, Any]:
    return example_input(load_example(name))


def test_post_answers_the_decision_the_engine_gives(app: Flask, ci: FlaskClient) -> None:
    payload = example_payload()
    response = ci.post("/v1/data/gatekeeper/decision", json={"input": payload})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    engine = services(app).store.current.engine
    assert response.json == {"result": engine.evaluate(payload)}


def test_get_reads_data_and_takes_input_as_a_parameter(ci: FlaskClient) -> None:
    assert ci.get("/v1/data/customers/acme/tier").json == {"result": "gold"}
    payload = json.dumps(example_payload())
    answered = ci.get("/v1/data/gatekeeper/decision", query_string={"input": payload})
    assert answered.status_code == 200
    assert answered.json is not None
    assert answered.json["result"]["outcome"] == load_example("full_admin")["expect"]["outcome"]


def test_an_undefined_value_has_no_result_key(ci: FlaskClient) -> None:
    answered = ci.post("/v1/data/gatekeeper/no_such_rule", json={"input": {}})
    assert answered.status_code == 200
    assert answered.json == {}
    assert ci.get("/v1/data/customers/nobody").json == {}


def test_a_post_without_input_says_so_as_opa_does(ci: FlaskClient) -> None:
    answered = ci.post("/v1/data/customers/acme/tier")
    assert answered.json == {"result": "gold", "warning": {
        "code": "api_usage_warning", "message": "'input' key missing from the request"}}


def test_the_bundle_manifest_is_where_opa_keeps_it(app: Flask, ci: FlaskClient) -> None:
    bundle = services(app).store.current.bundle
    answered = ci.get("/v1/data/system/bundles")
    assert answered.json == {"result": {"gatekeeper": {"manifest": {
        "revision": bundle.revision, "roots": roots_of(bundle)}}}}
    assert ci.get("/v1/data/system/bundles/gatekeeper/manifest/revision").json == {
        "result": bundle.revision}


def test_metrics_provenance_and_pretty(app: Flask, ci: FlaskClient) -> None:
    revision = services(app).store.current.bundle.revision
    answered = ci.get("/v1/data/customers/acme/tier?metrics&provenance=true&pretty")
    assert answered.get_data(as_text=True).startswith("{\n  ")
    body = answered.json
    assert body is not None
    assert body["result"] == "gold"
    assert body["provenance"]["bundles"] == {"gatekeeper": {"revision": revision}}
    assert body["metrics"]["timer_rego_query_eval_ns"] > 0
    assert "metrics" not in ci.get("/v1/data/customers/acme/tier?metrics=false").json


def test_policies_list_the_modules_with_their_rules(app: Flask, ci: FlaskClient) -> None:
    bundle = services(app).store.current.bundle
    listed = ci.get("/v1/policies").json
    assert listed is not None
    assert ci.get("/v1/policies/").json == listed
    by_id = {p["id"]: p for p in listed["result"]}
    assert set(by_id) == set(bundle.modules)
    decision = by_id["gatekeeper/decision.rego"]
    assert decision["raw"] == bundle.modules["gatekeeper/decision.rego"]
    assert [t["value"] for t in decision["ast"]["package"]["path"]] == ["data", "gatekeeper"]
    assert "decision" in {r["head"]["name"] for r in decision["ast"]["rules"]}


@pytest.mark.parametrize(("path", "status", "code", "field"), [
    ("/v1/data/no_such_root/x", 404, "unknown_data_path", None),
    ("/v1/data/gatekeeper/a;b", 422, "validation_failed", "path"),
    ("/v1/data/gatekeeper//decision", 422, "validation_failed", "path"),
    ("/v1/data/gatekeeper/decision?explain=full", 422, "validation_failed", "explain"),
    ("/v1/data/gatekeeper/decision?input={nope", 400, "malformed_body", "input"),
])
def test_bad_paths_and_parameters_are_4xx_problems(ci: FlaskClient, path: str, status: int,
                                                   code: str, field: str | None) -> None:
    answered = ci.get(path)
    assert answered.status_code == status
    assert answered.mimetype == "application/problem+json"
    assert answered.json is not None
    assert answered.json["code"] == code
    if field is not None:
        assert [e["field"] for e in answered.json["errors"]] == [field]


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    (b"{not json", 400, "malformed_body", ""),
    (b"[1, 2]", 400, "malformed_body", ""),
    (b'{"input": [1]}', 422, "validation_failed", "input"),
    (b'{"input": "text"}', 422, "validation_failed", "input"),
])
def test_malformed_bodies_are_4xx_problems(ci: FlaskClient, body: bytes, status: int,
                                           code: str, field: str) -> None:
    answered = ci.post("/v1/data/gatekeeper/decision", data=body,
                       content_type="application/json")
    assert answered.status_code == status
    assert answered.mimetype == "application/problem+json"
    assert answered.json is not None
    assert answered.json["code"] == code
    assert [e["field"] for e in answered.json["errors"]] == [field]


def test_a_runtime_error_fails_closed_with_503(tmp_path: Path) -> None:
    """A rule that fails (division by zero): the engine's error as a 503, never a result."""
    app = create_app({"TESTING": True, "POLICIES": str(FIXTURES / "basic"), "ENGINE": "regorus",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'gk.db'}",
                      "INSTANCE_PATH": str(tmp_path)})
    client = authed_client(app, "ci")
    assert client.post("/v1/data/gatekeeper/faults/ratio",
                       json={"input": {"divisor": 4}}).json == {"result": 2.5}
    answered = client.post("/v1/data/gatekeeper/faults/ratio", json={"input": {"divisor": 0}})
    assert answered.status_code == 503
    assert answered.mimetype == "application/problem+json"
    assert answered.json is not None
    assert answered.json["code"] == "engine_error"
    assert "data.gatekeeper.faults.ratio" in answered.json["detail"]
    services(app).close()


@pytest.mark.parametrize(("role", "org", "allowed"), [
    ("ci", None, True), ("engineer", None, True), ("approver", None, False),
    ("admin", None, False), ("customer", "acme", False),
])
def test_only_ci_and_engineers_may_ask(auth_headers: Headers, app: Flask, role: str,
                                       org: str | None, allowed: bool) -> None:
    client = app.test_client()
    headers = auth_headers(role, org)
    for answered in (client.post("/v1/data/customers/acme/tier", json={}, headers=headers),
                     client.get("/v1/data/customers/acme/tier", headers=headers),
                     client.get("/v1/policies", headers=headers)):
        assert answered.status_code == (200 if allowed else 403)
    assert client.get("/v1/data/customers/acme/tier").status_code == 401


def test_opa_clients_find_gatekeeper_healthy(anonymous: FlaskClient) -> None:
    """opa-python-client's check_health() asks GET /health (no credential, as OPA's)."""
    answered = anonymous.get("/health?bundles")
    assert (answered.status_code, answered.json) == (200, {})


def test_health_is_503_without_a_bundle(tmp_path: Path) -> None:
    broken = tmp_path / "policies"
    broken.mkdir()
    (broken / "x.rego").write_text("package x\n\nbroken := [\n")
    app = create_app({"TESTING": True, "POLICIES": str(broken), "REQUIRE_POLICIES": False,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'gk.db'}",
                      "INSTANCE_PATH": str(tmp_path)})
    answered = app.test_client().get("/health")
    assert answered.status_code == 503
    assert answered.mimetype == "application/problem+json"
    services(app).close()
