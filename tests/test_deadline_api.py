# ruff: noqa: F811  (the API fixtures are imported, then named as test arguments)
"""The waiting state's deadline in the JSON API: computed by the policy, carried by Python."""

from __future__ import annotations

import jsonschema
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import load_example
from tests.test_access_requests_api import (  # noqa: F401  (fixtures)
    BASE,
    _schema,
    api,
    ledger_app,
    submit,
    who,
)


def test_a_waiting_request_carries_its_deadline(ledger_app: Flask, api: FlaskClient) -> None:
    body = submit(ledger_app, api, "full_admin").get_json()
    assert body["state"] == "awaiting_approval"
    shown = api.get(f"{BASE}/{body['id']}", headers=who(load_example("full_admin")))
    assert shown.status_code == 200
    doc = shown.get_json()
    deadline = doc["deadline"]
    # Gold answers within 4 hours, around the clock: the policy's figure, not Python's
    assert deadline["state"] == "awaiting_approval" and deadline["hours"] == 4
    assert deadline["due"] == "2026-11-23T13:00:00Z"
    assert deadline["due_text"] in deadline["summary"]
    assert deadline["summary"].startswith("An approver should answer by ")
    jsonschema.validate(doc, _schema("AccessRequestRecord"))


def test_a_granted_request_has_no_deadline(ledger_app: Flask, api: FlaskClient) -> None:
    body = submit(ledger_app, api, "read_only").get_json()
    shown = api.get(f"{BASE}/{body['id']}", headers=who(load_example("read_only")))
    assert shown.status_code == 200 and shown.get_json()["deadline"] is None


def test_the_answer_to_a_submission_says_by_when_and_a_replay_says_the_same(
    ledger_app: Flask, api: FlaskClient
) -> None:
    first = submit(ledger_app, api, "full_admin", **{"Idempotency-Key": "deadline-1"})
    assert first.status_code == 201
    deadline = first.get_json()["deadline"]
    assert deadline["state"] == "awaiting_approval" and deadline["due"] == "2026-11-23T13:00:00Z"
    assert deadline["summary"].startswith("An approver should answer by ")
    again = submit(ledger_app, api, "full_admin", **{"Idempotency-Key": "deadline-1"})
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["deadline"] == deadline
    shown = api.get(f"{BASE}/{first.get_json()['id']}", headers=who(load_example("full_admin")))
    assert shown.get_json()["deadline"]["due"] == deadline["due"]
    jsonschema.validate(first.get_json(), _schema("AccessRequestRecord"))
    allowed = submit(ledger_app, api, "read_only").get_json()
    assert allowed["deadline"] is None  # granted at once: nothing waits


def test_the_request_list_carries_each_waiting_requests_deadline(
    ledger_app: Flask, api: FlaskClient
) -> None:
    """An approver scanning the list sees what is due when, as on the request itself."""
    waiting = submit(ledger_app, api, "full_admin").get_json()
    granted = submit(ledger_app, api, "read_only").get_json()
    page = api.get(BASE).get_json()
    jsonschema.validate(page, _schema("AccessRequestPage"))
    by_id = {item["id"]: item["deadline"] for item in page["items"]}
    shown = api.get(f"{BASE}/{waiting['id']}", headers=who(load_example("full_admin")))
    assert by_id[waiting["id"]] == shown.get_json()["deadline"]
    assert by_id[waiting["id"]]["due"] == "2026-11-23T13:00:00Z"
    assert by_id[granted["id"]] is None
