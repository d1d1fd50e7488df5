"""Bearer tokens on the JSON door: 401 with WWW-Authenticate, roles, tenants, hashes only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from gatekeeper.bootstrap import services
from gatekeeper.domain.request import parse_timestamp
from gatekeeper.service.decisions import utc_now
from tests.conftest import issue_token, load_example

Headers = Callable[..., dict[str, str]]


def _is_401(response: Any, error: str | None = None) -> dict[str, Any]:
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="gatekeeper"')
    if error:
        assert f'error="{error}"' in challenge
    body: dict[str, Any] = response.get_json()
    assert body["code"] == "unauthenticated" and body["status"] == 401
    return body


def test_missing_credentials_are_401_with_a_challenge(anonymous: FlaskClient) -> None:
    for method, url in (("GET", "/v1/catalog"), ("POST", "/v1/decisions"),
                        ("GET", "/v1/access-requests"), ("GET", "/v1/access-requests/x")):
        _is_401(anonymous.open(url, method=method, json={}))


@pytest.mark.parametrize("header", [
    "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "bearer not-a-token", "Token gk_abc",
    "Bearer gk_short", "Bearer " + "gk_" + "A" * 44,
])
def test_malformed_credentials_are_401(anonymous: FlaskClient, header: str) -> None:
    _is_401(anonymous.get("/v1/catalog", headers={"Authorization": header}))


def test_unknown_revoked_and_expired_tokens_are_401(app: Flask, anonymous: FlaskClient) -> None:
    identity = services(app).identity
    unknown = "gk_" + "A" * 43
    body = _is_401(anonymous.get("/v1/catalog", headers={"Authorization": f"Bearer {unknown}"}),
                   "invalid_token")
    assert "unknown" in body["detail"]

    revoked = identity.create_token("to-revoke", "ci")
    ok = anonymous.get("/v1/catalog", headers={"Authorization": f"Bearer {revoked.token}"})
    assert ok.status_code == 200
    identity.revoke_token("to-revoke")
    body = _is_401(anonymous.get("/v1/catalog",
                                 headers={"Authorization": f"Bearer {revoked.token}"}),
                   "invalid_token")
    assert "revoked" in body["detail"]

    expiring = identity.create_token("short-lived", "ci", expires_at=utc_now() + timedelta(1))
    headers = {"Authorization": f"Bearer {expiring.token}"}
    assert anonymous.get("/v1/catalog", headers=headers).status_code == 200
    identity.clock = lambda: utc_now() + timedelta(days=2)
    assert "expired" in _is_401(anonymous.get("/v1/catalog", headers=headers))["detail"]


def test_public_endpoints_need_no_credentials(anonymous: FlaskClient) -> None:
    for url in ("/healthz", "/readyz", "/v1/openapi.json"):
        assert anonymous.get(url).status_code == 200
    assert anonymous.get("/v1/nothing-here").status_code == 404  # no route: 404, not 401
    broken = {"Authorization": "Bearer nonsense"}  # ignored where nothing is protected
    assert anonymous.get("/healthz", headers=broken).status_code == 200


def test_only_a_hash_of_the_token_is_stored(app: Flask, tmp_path: Path) -> None:
    token = issue_token(app, "ci", name="hash-only")
    engine = create_engine(app.config["DATABASE_URL"])
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM api_tokens WHERE name = 'hash-only'")).one()
    engine.dispose()
    assert token not in [str(v) for v in row]
    assert row.token_hash != token and len(row.token_hash) == 64
    assert token.startswith(row.prefix) and len(row.prefix) == 10
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("gatekeeper.db*"))
    assert token.encode() not in raw
    listed = services(app).identity.list_tokens()
    assert [t.name for t in listed] == ["hash-only"]


def test_the_token_records_when_it_was_last_used(app: Flask, anonymous: FlaskClient) -> None:
    token = issue_token(app, "ci", name="used")
    assert services(app).identity.list_tokens()[0].last_used_at is None
    anonymous.get("/v1/catalog", headers={"Authorization": f"Bearer {token}"})
    assert services(app).identity.list_tokens()[0].last_used_at is not None


def test_a_role_without_the_right_gets_403(anonymous: FlaskClient, auth_headers: Headers
                                           ) -> None:
    body = load_example("read_only")["request"]
    response = anonymous.post("/v1/access-requests", json=body, headers=auth_headers("ci"))
    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"
    assert "WWW-Authenticate" not in response.headers
    evaluated = anonymous.post("/v1/decisions", json=body, headers=auth_headers("ci"))
    assert evaluated.status_code == 200  # ci evaluates and reads


def test_identity_comes_from_the_credential_not_the_body(
        app: Flask, anonymous: FlaskClient, auth_headers: Headers) -> None:
    own = auth_headers("customer", "acme")
    body = load_example("read_only")["request"]
    for url in ("/v1/decisions", "/v1/access-requests"):
        other = anonymous.post(url, json=dict(body, customer="globex"), headers=own)
        assert other.status_code == 403, url
        assert "own organisation" in other.get_json()["detail"]
    claimed = anonymous.post("/v1/access-requests", headers=own,
                             json=dict(body, requester="boss@msp.example"))
    assert claimed.status_code == 422  # no such field: who asks is not for the body to say
    created = anonymous.post("/v1/access-requests", json=body, headers=own)
    assert created.status_code == 201
    assert created.get_json()["requester"]["organisation"] == "acme"
    assert created.get_json()["requester"]["subject"].startswith("token:test-customer-acme")


def test_another_organisations_request_is_404(app: Flask, anonymous: FlaskClient,
                                              auth_headers: Headers) -> None:
    body = dict(load_example("read_only")["request"], customer="globex")
    created = anonymous.post("/v1/access-requests", json=body,
                             headers=auth_headers("customer", "globex"))
    assert created.status_code == 201
    url = f"/v1/access-requests/{created.get_json()['id']}"
    acme = auth_headers("customer", "acme")
    missing = anonymous.get(url, headers=acme)
    unknown = anonymous.get("/v1/access-requests/00000000-0000-0000-0000-000000000000",
                            headers=acme)
    assert missing.status_code == unknown.status_code == 404
    assert missing.get_json()["title"] == unknown.get_json()["title"]
    assert anonymous.post(url + "/withdraw", headers=acme).status_code == 404
    assert anonymous.get(url, headers=auth_headers("engineer")).status_code == 200


def test_nobody_approves_their_own_request(app: Flask, anonymous: FlaskClient,
                                           auth_headers: Headers) -> None:
    admin = auth_headers("admin")
    example = load_example("full_admin")
    now = parse_timestamp(example["now"])
    services(app).requests.clock = lambda: now
    created = anonymous.post("/v1/access-requests", json=example["request"],
                             headers=admin).get_json()
    assert created["state"] == "awaiting_approval"
    own = anonymous.post(f"/v1/access-requests/{created['id']}/approve", headers=admin)
    assert own.status_code == 403
    assert "own request" in own.get_json()["detail"]
    other = anonymous.post(f"/v1/access-requests/{created['id']}/approve",
                           headers=auth_headers("approver"))
    assert other.status_code == 200


def test_a_session_cookie_does_not_open_the_json_door(app: Flask) -> None:
    from gatekeeper.server.identifier import SESSION_KEY

    identity = services(app).identity
    identity.create_user("eve@msp.example", "admin", "a long enough password")
    browser = app.test_client()
    with browser.session_transaction() as session:
        session[SESSION_KEY] = identity.start_session("eve@msp.example")
    assert browser.get("/v1/access-requests").status_code == 401
    sso = {"X-Forwarded-User": "eve@msp.example"}
    assert browser.get("/v1/catalog", headers=sso).status_code == 401
    # the JSON door never touches the cookie session: nothing is read, nothing set
    token = identity.create_token("eve-token", "admin").token
    answer = browser.get("/v1/catalog", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
    assert browser.get("/console").status_code == 200  # the web session still works


def test_openapi_documents_the_bearer_scheme_and_its_errors(anonymous: FlaskClient) -> None:
    spec = anonymous.get("/v1/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearerToken": []}]
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post"):
                continue
            if op.get("security") == []:
                # /health: OPA's health check, which OPA clients call before anything else
                assert path in ("/healthz", "/readyz", "/health", "/v1/openapi.json")
                continue
            assert {"401", "403"} <= set(op["responses"]), f"{method} {path}"
