"""One decision-log event per decision, with the input, outcome and revision; secrets redacted."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from structlog.testing import capture_logs

from gatekeeper.logging_setup import REDACTED, redact
from tests.conftest import load_example


def test_one_decision_event_per_decision(app: Flask, client: FlaskClient) -> None:
    body = load_example("full_admin")["request"]
    with capture_logs() as events:
        response = client.post("/v1/decisions", json=body)
    assert response.status_code == 200
    decided = [e for e in events if e["event"] == "decision_made"]
    assert len(decided) == 1
    event = decided[0]
    assert event["decision_id"] == response.get_json()["decision_id"]
    assert event["outcome"] == response.get_json()["outcome"]
    assert event["input"]["request"]["customer"] == body["customer"]
    assert event["revision"].startswith("sha256:")
    assert event["duration_ms"] >= 0


def test_redaction_of_secrets_at_any_depth() -> None:
    event = {
        "headers": {"Authorization": "Bearer abc.def", "Accept": "json"},
        "password": "hunter2",
        "note": "called with Bearer s3cr3t-token",
        "items": [{"api_key": "k"}],
    }
    clean = redact(event)
    assert clean["headers"] == {"Authorization": REDACTED, "Accept": "json"}
    assert clean["password"] == REDACTED
    assert "s3cr3t" not in clean["note"]
    assert clean["items"] == [{"api_key": REDACTED}]
