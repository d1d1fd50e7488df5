"""One decision-log event per decision, with the input, outcome and revision; secrets redacted."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from structlog.testing import capture_logs

from gatekeeper.domain import Decision, Principal
from gatekeeper.logging_setup import REDACTED, configure_logging, redact
from gatekeeper.service.wiring import services
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
    assert event["result"] == response.get_json()


def test_the_result_is_built_only_when_the_event_is_logged(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    to_dict = Decision.to_dict

    def counting(self: Decision) -> dict[str, object]:
        built.append(self.decision_id)
        return to_dict(self)

    monkeypatch.setattr(Decision, "to_dict", counting)
    decide = services(app).decisions.decide
    body = load_example("full_admin")["request"]
    engineer = Principal("eve@msp.example", "engineer", None)
    configure_logging(None, "WARNING")
    try:
        with capture_logs() as quiet:
            decide(body, engineer)
    finally:
        configure_logging(None, "INFO")
    assert built == [] and not [e for e in quiet if e["event"] == "decision_made"]
    with capture_logs() as events:
        _, decision = decide(body, engineer)
    assert built == [decision.decision_id]
    assert [e["result"] for e in events if e["event"] == "decision_made"] == [decision.to_dict()]


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
