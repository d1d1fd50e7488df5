"""One decision-log event per decision, with the input, outcome and revision, masked by the
bundle's own rules (the requester's own words stay out of the log); secrets redacted."""

from __future__ import annotations

import random
from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient
from structlog.testing import capture_logs

from gatekeeper import jsontext
from gatekeeper.bootstrap import services
from gatekeeper.domain import Decision, EngineError, Principal
from gatekeeper.logging_setup import (
    REDACTED,
    _clean_line,
    _redact_and_render_json,
    _redacted,
    configure_logging,
    redact,
)
from tests.conftest import load_example


def own_words(text: str) -> str:
    """What the shipped bundle's mask rule puts in place of the requester's words."""
    return f"[masked: the requester's own words, {len(text)} characters]"


def test_one_decision_event_per_decision(app: Flask, client: FlaskClient) -> None:
    body = load_example("full_admin")["request"]
    with capture_logs() as events:
        response = client.post("/v1/decisions", json=body)
    assert response.status_code == 200
    answer = response.get_json()
    decided = [e for e in events if e["event"] == "decision_made"]
    assert len(decided) == 1
    event = decided[0]
    assert event["decision_id"] == answer["decision_id"]
    assert event["outcome"] == answer["outcome"]
    assert event["input"]["request"]["customer"] == body["customer"]
    assert event["revision"].startswith("sha256:")
    assert event["duration_ms"] >= 0
    # Masked as a shipped decision log is (policies/gatekeeper/log/mask.rego): the answer is
    # whole but for its summary, which restates the need.
    assert event["result"] == {**answer, "summary": own_words(answer["summary"])}
    assert event["input"]["request"]["need"] == own_words(body["need"])
    assert "justification" not in event["input"]["request"]
    assert event["erased"] == ["/input/request/justification"]
    assert event["masked"] == ["/input/request/need", "/result/summary"]
    line = jsontext.log_line(events)
    assert body["need"] not in line and body["justification"] not in line
    assert answer["summary"].startswith("You asked to: " + body["need"])  # the answer keeps it


def test_a_decision_the_engine_cannot_make_is_logged_masked(
        app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = services(app).store.current.engine
    evaluate = engine.evaluate

    def failing(doc: Any, path: str = "data.gatekeeper.decision") -> Any:
        if path == "data.gatekeeper.decision":  # the mask rule still answers
            raise EngineError("boom")
        return evaluate(doc, path)

    monkeypatch.setattr(engine, "evaluate", failing)
    body = load_example("full_admin")["request"]
    with capture_logs() as events:
        response = client.post("/v1/decisions", json=body)
    assert response.status_code == 503
    (failed,) = [e for e in events if e["event"] == "decision_failed"]
    assert failed["input"]["request"]["customer"] == body["customer"]
    assert failed["input"]["request"]["need"] == own_words(body["need"])
    assert failed["erased"] == ["/input/request/justification"]
    assert body["justification"] not in jsontext.log_line(events)


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
    answer = decision.to_dict()
    assert [e["result"] for e in events if e["event"] == "decision_made"] == [
        {**answer, "summary": own_words(answer["summary"])}
    ]


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


_KEYS = ("id", "note", "result", "supervised_session", "session_id", "x\"token", "tok\\en",
         "Api-Key", "\u017fecret", "cookie", "caf\u00e9", "PASSWORD", "my\\\\csrf", "sess")
_TEXTS = ("plain", "supervised_session", "Bearer abc.def", "a=1", "gk_abcdefghij", "\\",
          "\"", "token\":", "x\\\":", "\u017fecret", "caf\u00e9", "session\\\\", "")


def _random_event(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth < 3 and roll < 0.3:
        return {rng.choice(_KEYS): _random_event(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    if depth < 3 and roll < 0.45:
        return [_random_event(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if roll < 0.55:
        return rng.choice((None, True, 7, 2.5))
    return rng.choice(_TEXTS)


def test_a_log_line_redacts_exactly_as_walking_every_value_would() -> None:
    """The fast path (checking the serialised line) must never skip a redaction the full walk
    makes: on thousands of random events with tricky keys and values, both lines are equal."""
    rng = random.Random(11)
    fast_paths = 0
    for _ in range(5000):
        event = {"event": "x", "payload": _random_event(rng)}
        line = _redact_and_render_json(None, "info", dict(event))
        walked = jsontext.log_line(_redacted(event), default=str)
        assert orjson.loads(line) == orjson.loads(walked), event
        fast_paths += _clean_line(event) is not None
    assert 500 < fast_paths < 4500  # both paths were exercised


def test_a_decision_event_takes_the_fast_path() -> None:
    """A decision's own words (``supervised_session``) sit in values, not keys: no walk."""
    event = {"event": "decision_made", "result": {"alternatives": [{"id": "supervised_session"}]},
             "input": {"identity": {"subject": "eng@msp.example"}}}
    assert _clean_line(event) is not None
    event["input"]["session_id"] = "s-1"
    assert _clean_line(event) is None
    assert orjson.loads(_redact_and_render_json(None, "info", event))["input"]["session_id"] \
        == REDACTED
