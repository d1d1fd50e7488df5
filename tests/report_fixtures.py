"""A month of Acme's requests built through the JSON API, for the report tests.

Every step runs at a set time (the request service's clock), so the figures of the month can
be worked out by hand from the policy's answers (see ``tests/test_reports_api.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from gatekeeper.bootstrap import services
from gatekeeper.domain.request import parse_timestamp
from tests.conftest import load_example

BASE = "/v1/access-requests"
ALICE = {"X-Test-Principal": "alice@acme.example|customer|acme"}
BOB = {"X-Test-Principal": "bob@acme.example|customer|acme"}
APPROVER = {"X-Test-Principal": "bob@msp.example|approver|"}
ON_CALL = {"X-Test-Principal": "oncall@msp.example|engineer|"}
GLOBEX = {"X-Test-Principal": "eve@globex.example|customer|globex"}
ENGINEER = {"X-Test-Principal": "eng@msp.example|engineer|"}
ADMIN = {"X-Test-Principal": "root@msp.example|admin|"}
REPORT_NOW = "2026-12-07T10:00:00Z"


@dataclass
class Month:
    """The ids of the month's requests, by the part they play."""

    ids: dict[str, str] = field(default_factory=dict)


def at(app: Flask, when: str) -> None:
    now = parse_timestamp(when)
    services(app).requests.clock = lambda: now
    services(app).reports.clock = lambda: parse_timestamp(REPORT_NOW)


def post(app: Flask, client: FlaskClient, path: str, body: Any, who: dict[str, str],
         when: str, status: int = 200) -> Any:
    at(app, when)
    response = client.post(path, json=body, headers=who)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def build_month(app: Flask, client: FlaskClient) -> Month:
    """Acme's November 2026 (gold: an approver answers within 4 hours, around the clock):

    - full: full admin (24 h re-provisioning), approved after 2 h, accepted after 3 h: granted
    - portal: full admin again; Alice takes the software portal (0 h downtime) after 30 min;
      its follow-up is granted at once
    - look: Bob's read-only look, granted at once
    - late: full admin approved after 6 h (past the 4 h deadline), then withdrawn
    - glass: Alice's own break-glass: denied, escalated to security
    - oncall: the on-call engineer's emergency break-glass: waits for acceptance (open)
    Also one request in October and one of Globex's in November, which the report leaves out.
    """
    month = Month()
    full_admin = load_example("full_admin")["request"]
    full = post(app, client, BASE, full_admin, ALICE, "2026-11-02T09:00:00Z", 201)
    approved = post(app, client, f"{BASE}/{full['id']}/approve", {}, APPROVER,
                    "2026-11-02T11:00:00Z")
    consequences = [c["id"] for c in approved["decision"]["consequences"]]
    post(app, client, f"{BASE}/{full['id']}/accept", {"consequences": consequences}, ALICE,
         "2026-11-02T12:00:00Z")
    portal = post(app, client, BASE, full_admin, ALICE, "2026-11-05T09:00:00Z", 201)
    chose = post(app, client, f"{BASE}/{portal['id']}/choose",
                 {"alternative": "software_portal"}, ALICE, "2026-11-05T09:30:00Z")
    look = post(app, client, BASE, load_example("read_only")["request"], BOB,
                "2026-11-10T09:00:00Z", 201)
    late = post(app, client, BASE, full_admin, ALICE, "2026-11-12T09:00:00Z", 201)
    post(app, client, f"{BASE}/{late['id']}/approve", {}, APPROVER, "2026-11-12T15:00:00Z")
    post(app, client, f"{BASE}/{late['id']}/withdraw", {}, ALICE, "2026-11-12T16:00:00Z")
    glass = post(app, client, BASE, load_example("break_glass_by_customer")["request"], ALICE,
                 "2026-11-16T09:00:00Z", 201)
    oncall = post(app, client, BASE, load_example("break_glass_emergency")["request"], ON_CALL,
                  "2026-11-18T02:30:00Z", 201)
    october = post(app, client, BASE, load_example("read_only")["request"], BOB,
                   "2026-10-20T09:00:00Z", 201)
    post(app, client, BASE, load_example("data_export_globex")["request"], GLOBEX,
         "2026-11-11T15:00:00Z", 201)
    month.ids = {"full": full["id"], "portal": portal["id"],
                 "portal_follow_up": chose["follow_up"]["id"], "look": look["id"],
                 "late": late["id"], "glass": glass["id"], "oncall": oncall["id"],
                 "october": october["id"]}
    return month


def give_feedback(app: Flask, client: FlaskClient, month: Month) -> None:
    """Alice: the full-admin answer helped; her break-glass answer did not. Bob first says
    the read-only answer did not help, then changes his mind (it replaces the first). In
    October Bob said his answer helped."""
    ids = month.ids
    post(app, client, f"{BASE}/{ids['full']}/feedback",
         {"helped": True, "got_what_needed": True}, ALICE, "2026-11-02T12:05:00Z")
    post(app, client, f"{BASE}/{ids['glass']}/feedback",
         {"helped": False, "got_what_needed": False, "comment": "I needed it fixed now."},
         ALICE, "2026-11-16T09:10:00Z")
    post(app, client, f"{BASE}/{ids['look']}/feedback",
         {"helped": False, "got_what_needed": True}, BOB, "2026-11-10T09:05:00Z")
    post(app, client, f"{BASE}/{ids['look']}/feedback",
         {"helped": True, "got_what_needed": True}, BOB, "2026-11-10T09:06:00Z")
    post(app, client, f"{BASE}/{ids['october']}/feedback",
         {"helped": True, "got_what_needed": True}, BOB, "2026-10-20T09:05:00Z")
