"""What ``/metrics`` counts, in one process (``tests/test_ops_serve.py`` scrapes a real
``serve`` with two workers): decisions, engine errors, HTTP answers by route, ledger
transitions, the outbox, sign-in throttling."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from gatekeeper.app import create_app
from gatekeeper.bootstrap import services
from gatekeeper.domain import AuthenticationError, TooManyAttemptsError
from tests.conftest import authed_client, load_example
from tests.test_failure_modes import BROKEN_DECISION, _bundle_with

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: FlaskClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    found: Samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[sample.name, frozenset(sample.labels.items())] = sample.value
    return found


def value(samples: Samples, name: str, **labels: str) -> float:
    return sum(v for (n, have), v in samples.items()
               if n == name and set(labels.items()) <= set(have))


def test_a_submission_counts_its_decision_route_transition_and_outbox(
        app: Flask, client: FlaskClient) -> None:
    before = scrape(client)
    body = load_example("03_data_export")["request"]
    submitted = client.post("/v1/access-requests", json=body)
    assert submitted.status_code == 201
    record = submitted.get_json()
    assert client.get(f"/v1/access-requests/{record['id']}").status_code == 200
    assert client.get("/v1/access-requests/no-such-id").status_code == 404
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    engine = record["decision"]["policy"]["engine"]
    outcome = record["decision"]["outcome"]
    assert grew("gatekeeper_decisions_total", outcome=outcome, engine=engine) == 1
    assert grew("gatekeeper_decision_duration_seconds_count", engine=engine) == 1
    assert grew("gatekeeper_ledger_transitions_total", state=record["state"]) == 1
    assert grew("gatekeeper_http_requests_total", route="/v1/access-requests",
                method="POST", status="201") == 1
    show = "/v1/access-requests/<request_id>"  # the rule, not the id
    assert grew("gatekeeper_http_requests_total", route=show, method="GET", status="200") == 1
    assert grew("gatekeeper_http_requests_total", route=show, method="GET", status="404") == 1
    assert grew("gatekeeper_http_request_duration_seconds_count", route=show) == 2
    # the data export escalates to Globex's security contact: written to the outbox
    assert value(after, "gatekeeper_outbox_items", kind="event", state="pending") >= 1
    assert value(after, "gatekeeper_outbox_oldest_pending_age_seconds") > 0


def test_an_engine_error_is_counted(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "POLICIES": str(_bundle_with(tmp_path, BROKEN_DECISION)),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}"})
    client = authed_client(app)
    engine = services(app).store.current.engine.name
    before = value(scrape(client), "gatekeeper_engine_errors_total", engine=engine,
                   kind="engine_error")
    body = dict(load_example("full_admin")["request"], systems=[])
    assert client.post("/v1/decisions", json=body).status_code == 503
    after = value(scrape(client), "gatekeeper_engine_errors_total", engine=engine,
                  kind="engine_error")
    assert after == before + 1


def test_a_throttled_sign_in_is_counted(app: Flask, client: FlaskClient) -> None:
    identity = services(app).identity
    identity.create_user("mallory@acme.example", "customer", "a long passphrase 123",
                         customer="acme")
    before = value(scrape(client), "gatekeeper_sign_in_throttled_total")
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            identity.sign_in("mallory@acme.example", "wrong guess")
    for _ in range(2):
        with pytest.raises(TooManyAttemptsError):
            identity.sign_in("mallory@acme.example", "wrong guess")
    assert value(scrape(client), "gatekeeper_sign_in_throttled_total") == before + 2


def test_the_metrics_are_for_operators(app: Flask) -> None:
    assert app.test_client().get("/metrics").status_code == 401
    assert authed_client(app, "customer", "acme").get("/metrics").status_code == 403
    assert authed_client(app, "ci").get("/metrics").status_code == 200
