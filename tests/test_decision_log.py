"""Decision logs shipped to a real HTTP collector (a local server): OPA's event shape, gzipped
batches, fields masked by the bundle's own rules, retries; a collector that is down never
slows a decision, and what cannot be kept is counted."""

from __future__ import annotations

import gzip
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from prometheus_client import REGISTRY

from gatekeeper.app import create_app
from gatekeeper.bootstrap import services
from gatekeeper.service import decision_log
from gatekeeper.service.decision_log import DecisionLog, apply_mask
from tests.conftest import POLICIES, issue_token, load_example
from tests.notify_servers import HttpSink

BODY = load_example("01_full_admin")["request"]


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def dropped(reason: str) -> float:
    return counted("gatekeeper_decision_logs_dropped_total", reason=reason)


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Any]:
    built: list[Flask] = []

    def make(url: str | None, buffer: int = 10000) -> Flask:
        app = create_app({"TESTING": True, "POLICIES": str(POLICIES),
                          "DATABASE_URL": f"sqlite:///{tmp_path / f'gk{len(built)}.db'}",
                          "DECISION_LOG_URL": url, "DECISION_LOG_BUFFER": buffer})
        built.append(app)
        return app

    yield make
    for app in built:  # the shipper thread ends (and drops its engines) on its own thread
        services(app).decision_log.stop()


def decide(app: Flask, count: int) -> list[dict[str, Any]]:
    token = issue_token(app, "engineer")
    client = app.test_client()
    answers = []
    for _ in range(count):
        response = client.post("/v1/decisions", json=BODY,
                               headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        answers.append(response.get_json())
    return answers


def test_batches_arrive_gzipped_in_opa_shape_with_masked_fields(make_app: Any) -> None:
    with HttpSink() as collector:
        app = make_app(collector.url("/logs"))
        sent_before = counted("gatekeeper_decision_logs_sent_total")
        answers = decide(app, 5)
        services(app).decision_log.stop()  # sends what it holds
        hits = collector.at("/logs")
    assert hits and all(h.headers["content-encoding"] == "gzip" for h in hits)
    assert all(h.headers["content-type"] == "application/json" for h in hits)
    events = [e for h in hits for e in json.loads(gzip.decompress(h.body))]
    assert [e["decision_id"] for e in events] == [a["decision_id"] for a in answers]
    assert counted("gatekeeper_decision_logs_sent_total") == sent_before + 5
    event, answer = events[0], answers[0]
    assert event["path"] == "gatekeeper/decision"
    assert event["bundles"] == {"gatekeeper": {"revision": answer["policy"]["revision"]}}
    assert event["labels"]["engine"] == answer["policy"]["engine"]
    assert event["timestamp"].endswith("Z") and event["metrics"]["timer_rego_query_eval_ns"] > 0
    assert event["input"]["identity"]["role"] == "engineer"
    assert event["requested_by"] == event["input"]["identity"]["subject"]
    # masked by policies/gatekeeper/log/mask.rego: the requester's own words
    assert "justification" not in event["input"]["request"]
    assert event["erased"] == ["/input/request/justification"]
    assert event["masked"] == ["/input/request/need", "/result/summary"]
    need = BODY["need"]
    assert event["input"]["request"]["need"] == (
        f"[masked: the requester's own words, {len(need)} characters]")
    assert need not in json.dumps(event)
    # everything else is the answer the caller got
    unmasked = {k: v for k, v in answer.items() if k != "summary"}
    assert {k: v for k, v in event["result"].items() if k != "summary"} == unmasked
    assert event["input"]["request"]["customer"] == BODY["customer"]


def test_a_failed_post_is_retried(make_app: Any) -> None:
    with HttpSink(status={"/logs": [503, 200]}) as collector:
        app = make_app(collector.url("/logs"))
        services(app).decisions.decision_log = shipper = DecisionLog(
            collector.url("/logs"), 100, backoff_seconds=0.05)
        decide(app, 3)
        deadline = time.monotonic() + 10
        while len(collector.at("/logs")) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        shipper.stop()
        hits = collector.at("/logs")
    assert len(hits) == 2 and hits[0].body == hits[1].body  # the same batch, again
    assert len(json.loads(gzip.decompress(hits[1].body))) == 3


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_collector_that_is_down_never_slows_a_decision(make_app: Any) -> None:
    # the same decisions without decision logs: the baseline
    quiet = make_app(None)
    decide(quiet, 3)
    started = time.perf_counter()
    decide(quiet, 20)
    baseline = time.perf_counter() - started

    app = make_app(None)
    url = f"http://127.0.0.1:{_closed_port()}/logs"  # nothing listens: refused at once
    services(app).decisions.decision_log = shipper = DecisionLog(url, 3, backoff_seconds=0.5)
    full, undeliverable = dropped("buffer_full"), dropped("undeliverable")
    decide(app, 3)
    time.sleep(decision_log.FLUSH_SECONDS + 0.5)  # the shipper holds those 3 and retries
    started = time.perf_counter()
    decide(app, 20)
    took = time.perf_counter() - started
    shipper.stop(timeout=10)
    assert took < baseline * 1.5 + 0.5, f"{took:.2f} s, {baseline:.2f} s without logs"
    assert dropped("buffer_full") - full == 20 - 3  # the buffer holds 3
    assert dropped("undeliverable") - undeliverable == 3 + 3  # the batch tried, the buffer
    assert shipper.buffered == 0


def test_nothing_is_built_when_shipping_is_off(monkeypatch: pytest.MonkeyPatch,
                                               make_app: Any) -> None:
    built: list[Any] = []
    monkeypatch.setattr(decision_log, "opa_event", lambda *a: built.append(a))
    app = make_app(None)
    decide(app, 2)
    assert built == [] and services(app).decision_log.buffered == 0


def test_mask_rules_touch_only_input_and_result() -> None:
    event = {"decision_id": "d", "input": {"a": {"b": 1, "c": [{"d": 2}]}}, "result": {"x": 1}}
    rules = ["/input/a/b", "/decision_id", "/input/missing/deep",
             {"op": "upsert", "path": "/input/a/c/0/d", "value": "*"},
             {"op": "upsert", "path": "/result/y", "value": 0}, {"path": "/result/x"}]
    assert apply_mask(event, rules) == {
        "decision_id": "d", "input": {"a": {"c": [{"d": "*"}]}}, "result": {"y": 0},
        "erased": ["/input/a/b", "/result/x"], "masked": ["/input/a/c/0/d", "/result/y"]}


def test_masking_changes_the_event_not_what_it_was_built_from() -> None:
    request = {"need": "my password is hunter2", "justification": "x", "customer": "acme"}
    engine_input = {"request": request, "now": "2026-12-07T10:00:00Z"}
    event = {"input": engine_input, "result": {"summary": "s"}}
    rules = ["/input/request/justification",
             {"op": "upsert", "path": "/input/request/need", "value": "[masked]"}]
    masked = apply_mask(event, rules)
    assert masked["input"]["request"] == {"need": "[masked]", "customer": "acme"}
    # The decision's own input (still used after the event is logged) is as it was.
    assert engine_input == {"request": {"need": "my password is hunter2", "justification": "x",
                                        "customer": "acme"}, "now": "2026-12-07T10:00:00Z"}
