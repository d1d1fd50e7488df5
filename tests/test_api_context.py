"""input.context end to end: what the ledger knows changes the answer (issue 16), and a start
the engines cannot handle is a 422 naming ``start``, never a 503 or 500. Real policies, the
Flask test client, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient

from gatekeeper.app import create_app
from gatekeeper.bootstrap import services
from gatekeeper.domain import Principal
from gatekeeper.domain.request import parse_timestamp
from gatekeeper.ledger import Database, upgrade
from tests.conftest import POLICIES

NOW = parse_timestamp("2026-11-23T07:00:00Z")
KEES = Principal("kees@bakkerij-jansen.example", "customer", "bakkerij_jansen")
ANN = Principal("ann@msp.example", "approver", None)
BODY = {"customer": "bakkerij_jansen", "environment": "production", "access": "full_admin",
        "purpose": "software_install", "need": "install the new till software", "systems": [],
        "start": "2026-11-24T08:00:00Z", "duration_hours": 8,
        "justification": "the installer needs administrator rights", "urgency": "normal"}


@pytest.fixture
def bakkerij(db_url: str, tmp_path: Path) -> Iterator[FlaskClient]:
    """Kees of Bakkerij Jansen calling an app on a fresh ledger, the clocks at NOW."""
    db = Database(db_url)
    upgrade(db)
    db.dispose()
    app: Flask = create_app({"TESTING": True, "POLICIES": str(POLICIES), "DATABASE_URL": db_url,
                             "INSTANCE_PATH": str(tmp_path / "instance"), "AUTH": "off"})

    @app.before_request
    def _kees() -> None:
        g.principal = KEES

    built = services(app)
    built.decisions.clock = built.requests.clock = lambda: NOW
    yield app.test_client()
    built.ledger.close()


def grant(client: FlaskClient, record: dict[str, Any]) -> dict[str, Any]:
    """Kees accepts the consequences and an approver approves, as far as each is asked."""
    ids = [c["id"] for c in record["decision"]["consequences"]]
    if "accept" in record["actions"]:
        accepted = client.post(f"/v1/access-requests/{record['id']}/accept",
                               json={"consequences": ids, "reason": "we need it"})
        assert accepted.status_code == 200, accepted.get_data(as_text=True)
        record = accepted.get_json()
    if "approve" in record["actions"]:
        requests = services(client.application).requests
        requests.approve(record["id"], ANN, {}, now=NOW)
        record = client.get(f"/v1/access-requests/{record['id']}").get_json()
    return record


def _by_kind(decision: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["kind"]: c for c in decision["consequences"]}


def test_a_second_request_counts_the_first_ones_minutes_and_names_the_overlap(
    bakkerij: FlaskClient,
) -> None:
    first = bakkerij.post("/v1/access-requests", json=BODY)
    assert first.status_code == 201, first.get_data(as_text=True)
    first_sla = _by_kind(first.get_json()["decision"])["sla"]
    assert (first_sla["sla_minutes_used_this_month"], first_sla["sla_minutes_consumed"],
            first_sla["sla_budget_remaining_minutes"]) == (0, 480, -48)
    assert "overlap" not in _by_kind(first.get_json()["decision"])
    first_id = first.get_json()["id"]

    # While it waits for acceptance and approval it overlaps, but its downtime is not yet committed.
    waiting = _by_kind(bakkerij.post("/v1/decisions", json=BODY).get_json())
    assert waiting["sla"]["sla_minutes_used_this_month"] == 0
    assert waiting["overlap"]["overlapping_request_ids"] == [first_id]
    assert waiting["overlap"]["severity"] == "low"

    assert grant(bakkerij, first.get_json())["state"] == "granted"

    dry = bakkerij.post("/v1/decisions", json=BODY)
    second = bakkerij.post("/v1/access-requests", json=BODY)
    assert dry.status_code == 200 and second.status_code == 201
    for decision in (dry.get_json(), second.get_json()["decision"]):
        found = _by_kind(decision)
        sla = found["sla"]
        assert (sla["sla_minutes_used_this_month"], sla["sla_minutes_consumed"],
                sla["sla_budget_remaining_minutes"], sla["sla_breached"]) == (480, 480, -528, True)
        assert "480 minutes were already used or booked this month" in sla["summary"]
        assert found["overlap"]["overlapping_request_ids"] == [first_id]
        assert found["overlap"]["severity"] == "medium"
        assert f"request {first_id.split('-')[0]}" in found["overlap"]["summary"]

    # Another month: nothing used there, nothing overlaps.
    later = bakkerij.post("/v1/decisions", json={**BODY, "start": "2026-12-01T08:00:00Z"})
    found = _by_kind(later.get_json())
    assert found["sla"]["sla_minutes_used_this_month"] == 0 and "overlap" not in found


@pytest.mark.parametrize("path", ["/v1/decisions", "/v1/access-requests"])
@pytest.mark.parametrize(("start", "problem"), [
    ("9999-12-31T00:00:00Z", "years 2000 to 2099"),
    ("1600-01-01T00:00:00Z", "years 2000 to 2099"),
    ("0001-01-01T00:00:00+14:00", "years 2000 to 2099"),
    ("9999-12-31T23:59:59-14:00", "years 2000 to 2099"),
    ("2020-01-01T00:00:00Z", "in the past"),
    ("2026-11-23T06:00:00Z", "in the past"),
    ("2028-01-01T00:00:00Z", "a year ahead"),
])
def test_a_start_out_of_range_is_a_422_naming_start(
    bakkerij: FlaskClient, path: str, start: str, problem: str,
) -> None:
    response = bakkerij.post(path, json={**BODY, "start": start})
    assert response.status_code == 422, response.get_data(as_text=True)
    body = response.get_json()
    assert response.mimetype == "application/problem+json"
    fields = {e["field"]: e["problem"] for e in body["errors"]}
    assert list(fields) == ["start"] and problem in fields["start"]


def test_a_start_within_the_grace_or_a_year_ahead_is_decided(bakkerij: FlaskClient) -> None:
    for start in ("2026-11-23T06:50:00Z", "2027-11-23T07:00:00Z"):
        response = bakkerij.post("/v1/decisions", json={**BODY, "start": start})
        assert response.status_code == 200, (start, response.get_data(as_text=True))
