# ruff: noqa: F811  (the API fixtures are imported, then named as test arguments)
"""POST /v1/access-requests/{id}/extend: more time on a live grant, decided by the policy."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient

from gatekeeper.bootstrap import services
from gatekeeper.domain.identity import ANONYMOUS_ENGINEER
from tests.conftest import load_example
from tests.test_access_requests_api import (  # noqa: F401  (fixtures)
    APPROVER,
    BASE,
    _schema,
    api,
    ledger_app,
    submit,
    who,
)

READ_ONLY = who(load_example("read_only"))


def _granted(app: Flask, client: FlaskClient) -> dict[str, Any]:
    body = submit(app, client, "read_only").get_json()
    assert body["state"] == "granted" and body["grant"]["ends_at"] == "2026-11-23T13:00:00Z"
    return body


def _extend_schema() -> dict[str, Any]:
    from gatekeeper.api.openapi import load_spec

    spec = load_spec()
    response = spec["paths"]["/v1/access-requests/{request_id}/extend"]["post"]["responses"]
    schema = response["200"]["content"]["application/json"]["schema"]
    return {**schema, "components": spec["components"]}


def test_an_allowed_extension_moves_the_grant_end(ledger_app: Flask, api: FlaskClient) -> None:
    body = _granted(ledger_app, api)
    answer = api.post(f"{BASE}/{body['id']}/extend", json={"hours": 2, "reason": "not done"},
                      headers=READ_ONLY)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    doc = answer.get_json()
    jsonschema.validate(doc, _extend_schema())
    assert doc["state"] == "granted" and doc["follow_up"] is None
    assert doc["grant"]["ends_at"] == "2026-11-23T15:00:00Z"
    assert doc["grant"]["duration_hours"] == 6
    step = doc["history"][-1]
    assert (step["action"], step["from"], step["to"], step["reason"]) == (
        "extend", "granted", "granted", "not done")
    assert step["details"]["outcome"] == "allow" and step["details"]["hours"] == 2
    assert step["details"]["ends_at"] == "2026-11-23T15:00:00Z"
    assert "extend" in doc["actions"]
    assert api.get(f"{BASE}/{body['id']}", headers=READ_ONLY).get_json()["version"] == 2
    # the outbox has the step, as for every other transition
    items = services(ledger_app).outbox.find(request_id=body["id"])
    extended = [i for i in items if i.payload.get("action") == "extend"]
    assert len(extended) == 1 and extended[0].topic == "transitioned"
    assert extended[0].payload["details"]["ends_at"] == "2026-11-23T15:00:00Z"


def test_an_extension_the_policy_sends_to_an_approver_waits_in_a_linked_request(
        ledger_app: Flask, api: FlaskClient) -> None:
    example = load_example("full_admin")
    body = submit(ledger_app, api, "full_admin").get_json()
    ids = [c["id"] for c in body["decision"]["consequences"]]
    api.post(f"{BASE}/{body['id']}/approve", json={"duration_hours": 2}, headers=APPROVER)
    granted = api.post(f"{BASE}/{body['id']}/accept", json={"consequences": ids},
                       headers=who(example)).get_json()
    assert granted["state"] == "granted" and granted["grant"]["ends_at"] == "2026-11-23T11:00:00Z"
    answer = api.post(f"{BASE}/{body['id']}/extend", json={"hours": 3}, headers=who(example))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    doc = answer.get_json()
    jsonschema.validate(doc, _extend_schema())
    assert doc["state"] == "granted" and doc["grant"]["ends_at"] == "2026-11-23T11:00:00Z"
    linked = doc["follow_up"]
    assert linked["parent_id"] == body["id"] and linked["state"] == "awaiting_approval"
    assert linked["request"]["start"] == "2026-11-23T11:00:00Z"
    assert linked["request"]["duration_hours"] == 3
    assert answer.headers["Link"] == f'<{BASE}/{linked["id"]}>; rel="related"'
    assert doc["history"][-1]["details"]["follow_up_id"] == linked["id"]
    # the grant itself is not downtime already used by its own extension (it would be 1,440)
    sla = next(c for c in linked["decision"]["consequences"] if c["kind"] == "sla")
    assert sla["sla_minutes_used_this_month"] == 0
    # an approver answers it like any request
    approved = api.post(f"{BASE}/{linked['id']}/approve", json={}, headers=APPROVER)
    assert approved.status_code == 200, approved.get_data(as_text=True)


def test_a_denied_extension_leaves_the_grant_as_it_was(ledger_app: Flask,
                                                       api: FlaskClient,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    body = _granted(ledger_app, api)
    decisions = services(ledger_app).decisions
    real = decisions.decide_request

    def refused(*args: Any, **kwargs: Any) -> Any:
        return replace(real(*args, **kwargs), outcome="deny")

    monkeypatch.setattr(decisions, "decide_request", refused)
    answer = api.post(f"{BASE}/{body['id']}/extend", json={"hours": 2}, headers=READ_ONLY)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    doc = answer.get_json()
    assert doc["state"] == "granted" and doc["grant"]["ends_at"] == "2026-11-23T13:00:00Z"
    assert doc["follow_up"]["state"] == "denied"
    assert doc["history"][-1]["details"]["outcome"] == "deny"


def test_bad_extensions_are_problems(ledger_app: Flask, api: FlaskClient) -> None:
    body = _granted(ledger_app, api)
    url = f"{BASE}/{body['id']}/extend"
    for bad in ({}, {"hours": 0}, {"hours": -1}, {"hours": "2"}, {"hours": True},
                {"hours": 25}):  # read_only: at most 24 hours a grant
        answer = api.post(url, json=bad, headers=READ_ONLY)
        assert answer.status_code == 422, (bad, answer.get_data(as_text=True))
        assert answer.mimetype == "application/problem+json"
        assert [e["field"] for e in answer.get_json()["errors"]] == ["hours"], bad
    assert api.post(f"{BASE}/nope/extend", json={"hours": 1},
                    headers=READ_ONLY).status_code == 404
    other = {"X-Test-Principal": "mallory@acme.example|customer|acme"}
    assert api.post(url, json={"hours": 1}, headers=other).status_code == 403
    waiting = submit(ledger_app, api, "full_admin").get_json()
    conflict = api.post(f"{BASE}/{waiting['id']}/extend", json={"hours": 1},
                        headers=who(load_example("full_admin")))
    assert conflict.status_code == 409 and conflict.mimetype == "application/problem+json"
    assert conflict.get_json()["state"] == "awaiting_approval"


def test_an_extension_decided_on_a_grant_that_moved_meanwhile_is_a_conflict(
        ledger_app: Flask, api: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    body = _granted(ledger_app, api)
    decisions = services(ledger_app).decisions
    real = decisions.decide_request
    raced: list[int] = []

    def racing(*args: Any, **kwargs: Any) -> Any:
        if not raced:  # another extension lands while this one is decided
            raced.append(1)
            inner = api.post(f"{BASE}/{body['id']}/extend", json={"hours": 1},
                             headers=READ_ONLY)
            assert inner.status_code == 200, inner.get_data(as_text=True)
        return real(*args, **kwargs)

    monkeypatch.setattr(decisions, "decide_request", racing)
    late = api.post(f"{BASE}/{body['id']}/extend", json={"hours": 2}, headers=READ_ONLY)
    assert late.status_code == 409, late.get_data(as_text=True)
    assert "changed while the policy decided" in late.get_json()["detail"]
    shown = api.get(f"{BASE}/{body['id']}", headers=READ_ONLY).get_json()
    assert shown["grant"]["ends_at"] == "2026-11-23T14:00:00Z"  # only the first one


def _waiting_extension(app: Flask, api: FlaskClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """A granted full-admin request and its extension, linked and waiting for an approver."""
    example = load_example("full_admin")
    body = submit(app, api, "full_admin").get_json()
    ids = [c["id"] for c in body["decision"]["consequences"]]
    api.post(f"{BASE}/{body['id']}/approve", json={"duration_hours": 2}, headers=APPROVER)
    api.post(f"{BASE}/{body['id']}/accept", json={"consequences": ids}, headers=who(example))
    linked = api.post(f"{BASE}/{body['id']}/extend", json={"hours": 3},
                      headers=who(example)).get_json()["follow_up"]
    assert linked["state"] == "awaiting_approval"
    return body, linked


def _lapsed(api: FlaskClient, linked: dict[str, Any], reason: str) -> None:
    """The extension is closed by the system, with the reason, and nothing is granted."""
    after = api.get(f"{BASE}/{linked['id']}", headers=who(load_example("full_admin"))).get_json()
    assert after["state"] == "withdrawn" and after["grant"]["starts_at"] is None
    last = after["history"][-1]
    assert (last["actor"], last["action"], last["from"], last["to"], last["reason"]) == (
        "gatekeeper", "withdraw", "awaiting_approval", "withdrawn", reason)
    refused = api.post(f"{BASE}/{linked['id']}/approve", json={}, headers=APPROVER)
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"


def test_an_extension_waiting_for_its_approver_lapses_when_its_grant_is_revoked(
        ledger_app: Flask, api: FlaskClient) -> None:
    """Revoking the grant closes its waiting extension in the same step: no approver is left
    with a request that can no longer go on."""
    body, linked = _waiting_extension(ledger_app, api)
    revoked = api.post(f"{BASE}/{body['id']}/revoke", json={"reason": "incident closed"},
                       headers=APPROVER)
    assert revoked.status_code == 200, revoked.get_data(as_text=True)
    _lapsed(api, linked, "the access it would extend was revoked")


def test_an_extension_waiting_for_its_approver_lapses_when_its_grant_ends(
        ledger_app: Flask, api: FlaskClient) -> None:
    """The expiry sweep ends the grant and closes the extension that waited on it."""
    body, linked = _waiting_extension(ledger_app, api)
    with ledger_app.app_context():
        svc = services(ledger_app).requests
        ended = svc.get(body["id"], ANONYMOUS_ENGINEER).grant_ends_at
        assert ended is not None and svc.expire_due(ended) == [body["id"]]
        assert svc.get(body["id"], ANONYMOUS_ENGINEER).state == "expired"
    _lapsed(api, linked, "the access it would extend has ended")
