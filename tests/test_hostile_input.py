"""Hostile and careless input on both databases: always a 4xx problem or a success, never
a 5xx, and the same answer on SQLite and PostgreSQL (the `db_url` fixture runs each test on
both). Text no database can store (NUL, lone surrogates) is a 422 naming the field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatekeeper.app import create_app
from gatekeeper.bootstrap import services
from gatekeeper.domain.text import MAX_DEPTH
from gatekeeper.ledger import Database, upgrade
from tests.conftest import POLICIES, load_example

BASE = "/v1/access-requests"
NUL, SURROGATE = "a\u0000b", "a\ud800b"


@pytest.fixture
def hostile_app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    db = Database(db_url)
    upgrade(db)
    db.dispose()
    app = create_app({"TESTING": True, "POLICIES": str(POLICIES), "DATABASE_URL": db_url,
                      "INSTANCE_PATH": str(tmp_path / "instance"), "WTF_CSRF_ENABLED": False})
    yield app
    services(app).close()


@pytest.fixture
def api(hostile_app: Flask) -> FlaskClient:
    client = hostile_app.test_client()
    token = services(hostile_app).identity.create_token("eng", "engineer").token
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def post_text(client: FlaskClient, url: str, text: str) -> Any:
    return client.post(url, data=text, content_type="application/json")


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    return body


def fields(body: dict[str, Any]) -> list[str]:
    return [e["field"] for e in body.get("errors", [])]


@pytest.mark.parametrize("url", ["/v1/decisions", BASE])
def test_deep_nesting_is_refused_before_parsing(api: FlaskClient, url: str) -> None:
    for depth in (MAX_DEPTH + 1, 5_000):
        body = problem(post_text(api, url, "[" * depth + "]" * depth), 400)
        assert body["code"] == "malformed_body" and f"{MAX_DEPTH} levels" in body["detail"]
    nested = {"customer": {"a": [[[]]]}}
    assert post_text(api, url, json.dumps(nested)).status_code == 422  # shallow: validated


@pytest.mark.parametrize("url", ["/v1/decisions", BASE])
@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
def test_unstorable_text_in_a_body_names_the_field(api: FlaskClient, url: str, bad: str
                                                   ) -> None:
    request = {**load_example("full_admin")["request"], "need": bad}
    request["systems"] = ["app-01", bad]
    body = problem(post_text(api, url, json.dumps(request)), 422)
    assert fields(body) == ["need", "systems.1"]
    assert services(api.application).ledger.count() == 0


def test_unstorable_text_in_a_reason_a_filter_an_id_or_a_sign_in(api: FlaskClient,
                                                                  hostile_app: Flask) -> None:
    created = api.post(BASE, json=load_example("full_admin")["request"])
    assert created.status_code == 201, created.get_data(as_text=True)
    rid = created.get_json()["id"]
    withdraw = api.post(f"{BASE}/{rid}/withdraw", json={"reason": NUL})
    assert fields(problem(withdraw, 422)) == ["reason"]
    assert api.get(f"{BASE}/{rid}").get_json()["state"] == "awaiting_approval"  # unchanged
    assert fields(problem(api.get(f"{BASE}?customer={NUL}"), 422)) == ["customer"]
    assert fields(problem(api.get(f"{BASE}?state=granted,{NUL}"), 422)) == ["state"]
    assert fields(problem(api.get(f"{BASE}/ab%00cd"), 422)) == ["request_id"]
    page = hostile_app.test_client().post("/sign-in", data={"username": NUL, "password": "x"})
    assert page.status_code == 422 and page.mimetype == "text/html"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20)
FIELDS = ("customer", "environment", "access", "purpose", "need", "systems", "start",
          "duration_hours", "justification", "urgency", "ticket")


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=len(FIELDS)),
       query=st.dictionaries(st.sampled_from(("customer", "state", "limit", "cursor",
                                              "created_from", "requester", "x")),
                             st.text(max_size=12), max_size=3))
def test_generated_hostile_input_never_gets_a_server_error(api: FlaskClient,
                                                           body: dict[str, Any],
                                                           query: dict[str, str]) -> None:
    base = load_example("full_admin")["request"]
    for url in ("/v1/decisions", BASE):
        for document in (body, {**base, **body}):
            response = api.post(url, json=document)
            assert response.status_code < 500, (document, response.get_data(as_text=True))
    listed = api.get(BASE, query_string=query)
    assert listed.status_code < 500, (query, listed.get_data(as_text=True))
