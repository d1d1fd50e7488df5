# ruff: noqa: F811  (the API fixtures are imported, then named as test arguments)
"""GET /v1/reports/{customer}: a month built through the API, every figure worked out by hand.

The month (tests/report_fixtures.py) runs on SQLite and PostgreSQL. The expected figures come
from the policy's answers as the examples state them (full admin on Acme's production costs
24 hours of re-provisioning, 1440 SLA minutes of a gold budget of 43; the software portal
costs none; gold approvers answer within 4 hours around the clock), not from the code.
"""

from __future__ import annotations

import jsonschema
from flask import Flask
from flask.testing import FlaskClient

from tests.report_fixtures import (
    ADMIN,
    ALICE,
    BASE,
    BOB,
    ENGINEER,
    GLOBEX,
    at,
    build_month,
    give_feedback,
    post,
)
from tests.test_access_requests_api import _schema, api, ledger_app  # noqa: F401  (fixtures)

REPORT = "/v1/reports"


def report(app: Flask, client: FlaskClient, customer: str, month: str,
           who: dict[str, str]) -> tuple[int, dict]:
    at(app, "2026-12-07T10:00:00Z")
    response = client.get(f"{REPORT}/{customer}?month={month}", headers=who)
    return response.status_code, response.get_json()


def test_every_figure_of_the_month_matches_the_hand_computed_one(
        ledger_app: Flask, api: FlaskClient) -> None:
    month = build_month(ledger_app, api)
    give_feedback(ledger_app, api, month)
    ids = month.ids
    status, doc = report(ledger_app, api, "acme", "2026-11", ALICE)
    assert status == 200, doc
    jsonschema.validate(doc, _schema("MonthlyReport"))
    assert doc["customer"] == {"id": "acme", "name": "Acme Retail B.V.",
                               "timezone": "Europe/Amsterdam", "tier": "gold"}
    # the month is Amsterdam's: 1 November 00:00 CET is 31 October 23:00 UTC
    assert doc["period"] == {"start": "2026-10-31T23:00:00Z", "end": "2026-11-30T23:00:00Z"}
    # seven requests: the follow-up of the portal choice is a request too; October's and
    # Globex's are not in it
    assert doc["outcomes"] == {"allow": 2, "allow_with_consequences": 1, "needs_approval": 3,
                               "deny": 1, "total": 7}
    assert sorted(r["id"] for r in doc["requests"]) == sorted(
        v for k, v in ids.items() if k != "october")
    # 24 hours of re-provisioning asked for, the portal (0 hours) taken instead
    assert doc["downtime_avoided"]["hours"] == 24
    assert doc["downtime_avoided"]["choices"] == 1
    assert doc["downtime_avoided"]["items"][0]["request_id"] == ids["portal"]
    assert doc["downtime_avoided"]["items"][0]["alternative_id"] == "software_portal"
    # only the granted full admin used SLA minutes: 24 h = 1440 of gold's 43; staging is not
    # covered by the SLA
    assert [(e["environment"], e["used_minutes"], e["budget_minutes"], e["over_budget"])
            for e in doc["sla"]["environments"]] == [("production", 1440, 43, True)]
    # approvers: 2 h on the first (due 4 h after), 6 h on the late one; the portal wait ended
    # by the requester's own choice after 30 minutes asked nothing of an approver
    answers = doc["answer_times"]
    assert (answers["answered"], answers["on_time"], answers["late"], answers["waiting"],
            answers["median_hours"], answers["within_hours"]) == (2, 1, 1, 0, 4.0, 4)
    assert [(i["request_id"], i["hours"], i["met"], i["due"]) for i in answers["items"]] == [
        (ids["full"], 2.0, True, "2026-11-02T13:00:00Z"),
        (ids["late"], 6.0, False, "2026-11-12T13:00:00Z")]
    assert answers["items"][0]["due_text"] == "Mon 02 Nov 2026, 14:00 CET"
    # granted: the full admin after 3 h, the portal follow-up and the read-only look at once
    assert doc["grant_times"] == {"granted": 3, "on_time": 3, "median_hours": 0.0,
                                  "max_hours": 3.0}
    # security first: production is critical to Acme; break-glass before the escalated full
    # admin requests; only the on-call emergency is still open (the others ended)
    security = doc["security"]
    assert [i["request_id"] for i in security["items"]] == [
        ids["glass"], ids["oncall"], ids["full"], ids["portal"], ids["late"]]
    assert (security["open"], security["closed"]) == (1, 4)
    assert [i["open"] for i in security["items"]] == [False, True, False, False, False]
    # feedback: full (helped), glass (did not), look (did not, then did: replaced)
    said = doc["feedback"]
    assert (said["answers"], said["helped"], said["got_what_needed"],
            said["score_percent"]) == (3, 2, 2, 67)
    assert said["comments"] == [{"request_id": ids["glass"], "stage": "answer",
                                 "comment": "I needed it fixed now.", "helped": False}]
    assert [(t["month"], t["requests"], t["feedback_answers"], t["helped_percent"])
            for t in doc["trend"]] == [
        ("2026-06", 0, 0, None), ("2026-07", 0, 0, None), ("2026-08", 0, 0, None),
        ("2026-09", 0, 0, None), ("2026-10", 1, 1, 100), ("2026-11", 7, 3, 67)]
    full = next(r for r in doc["requests"] if r["id"] == ids["full"])
    assert full["approved_by"] == ["bob@msp.example"]
    assert [e["action"] for e in full["timeline"]] == ["submit", "decide", "approve", "accept"]
    assert full["timeline"][0]["at_text"] == "Mon 02 Nov 2026, 10:00 CET"
    portal = next(r for r in doc["requests"] if r["id"] == ids["portal"])
    assert portal["alternative"]["id"] == "software_portal"
    # the lines a customer reads say the same numbers
    text = " ".join(doc["summary"])
    for said_figure in ("7 requests", "24 hours of downtime", "1440 minutes",
                        "43 minutes", "1 of 2 on time", "5 security items", "1 still open",
                        "3 answers", "2 of them helped"):
        assert said_figure in text, (said_figure, text)


def test_who_sees_what_and_bad_input(ledger_app: Flask, api: FlaskClient) -> None:
    build_month(ledger_app, api)
    assert report(ledger_app, api, "acme", "2026-11", ENGINEER)[0] == 200
    assert report(ledger_app, api, "acme", "2026-11", ADMIN)[0] == 200
    # another customer's report: as if it did not exist
    status, problem = report(ledger_app, api, "acme", "2026-11", GLOBEX)
    assert status == 404 and "acme" in problem["detail"]
    globex = report(ledger_app, api, "globex", "2026-11", GLOBEX)[1]
    assert globex["outcomes"]["total"] == 1
    assert report(ledger_app, api, "nobody", "2026-11", ENGINEER)[0] == 404
    for bad in ("2026-13", "11-2026", "", "2026-1"):
        status, problem = report(ledger_app, api, "acme", bad, ENGINEER)
        assert status == 422 and problem["errors"][0]["field"] == "month", bad
    status, problem = report(ledger_app, api, "acme", "2027-01", ENGINEER)
    assert status == 422 and "future" in problem["errors"][0]["problem"]
    status, empty = report(ledger_app, api, "acme", "2026-09", ALICE)
    assert status == 200 and empty["empty"] and empty["outcomes"]["total"] == 0
    assert empty["summary"] == [
        "There were no requests in September 2026. There is nothing to report yet."]


def test_feedback_is_the_requesters_and_a_second_replaces_the_first(
        ledger_app: Flask, api: FlaskClient) -> None:
    month = build_month(ledger_app, api)
    full = month.ids["full"]
    path = f"{BASE}/{full}/feedback"
    body = {"helped": True, "got_what_needed": False}
    for someone_else in (BOB, GLOBEX, ENGINEER):  # not the requester: as if it did not exist
        at(ledger_app, "2026-11-03T09:00:00Z")
        response = api.post(path, json=body, headers=someone_else)
        assert response.status_code == 404, someone_else
        assert response.mimetype == "application/problem+json"
    at(ledger_app, "2026-11-03T09:00:00Z")
    bad = api.post(path, json={"helped": "yes", "got_what_needed": True}, headers=ALICE)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "helped"
    bad = api.post(path, json={"stage": "later", "comment": "x" * 1001}, headers=ALICE)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {"helped", "got_what_needed",
                                                             "stage", "comment"}
    # the grant (8 hours from 2 November 12:00 UTC) has ended by now: feedback on it is taken
    given = post(ledger_app, api, path, {**body, "stage": "grant_end", "comment": "ok"}, ALICE,
                 "2026-11-03T09:00:00Z")
    assert given["stage"] == "grant_end" and given["helped"] is True
    # the on-call emergency still waits: no grant has ended to give feedback on
    oncall = api.post(f"{BASE}/{month.ids['oncall']}/feedback",
                      json={**body, "stage": "grant_end"}, headers=ALICE)
    assert oncall.status_code == 404  # not Alice's
    at(ledger_app, "2026-11-18T03:00:00Z")
    waiting = api.post(f"{BASE}/{month.ids['oncall']}/feedback",
                       json={**body, "stage": "grant_end"},
                       headers={"X-Test-Principal": "oncall@msp.example|engineer|"})
    assert waiting.status_code == 409
    post(ledger_app, api, path, {"helped": False, "got_what_needed": False}, ALICE,
         "2026-11-03T09:00:00Z")
    post(ledger_app, api, path, {"helped": True, "got_what_needed": True}, ALICE,
         "2026-11-03T09:01:00Z")
    doc = report(ledger_app, api, "acme", "2026-11", ALICE)[1]
    row = next(r for r in doc["requests"] if r["id"] == full)
    assert sorted((f["stage"], f["helped"], f["got_what_needed"]) for f in row["feedback"]) == [
        ("answer", True, True), ("grant_end", True, False)]
    assert doc["feedback"]["answers"] == 2


def test_sla_minutes_count_in_the_month_the_grant_starts(
        ledger_app: Flask, api: FlaskClient) -> None:
    """Asked for on 30 October, granted on 2 November: the re-provisioning downtime spends
    November's budget, not October's."""
    from tests.conftest import load_example
    from tests.report_fixtures import APPROVER

    asked = post(ledger_app, api, BASE, load_example("full_admin")["request"], ALICE,
                 "2026-10-30T09:00:00Z", 201)
    approved = post(ledger_app, api, f"{BASE}/{asked['id']}/approve", {}, APPROVER,
                    "2026-10-30T10:00:00Z")
    consequences = [c["id"] for c in approved["decision"]["consequences"]]
    granted = post(ledger_app, api, f"{BASE}/{asked['id']}/accept",
                   {"consequences": consequences}, ALICE, "2026-11-02T08:00:00Z")
    assert granted["state"] == "granted"
    used = {}
    for month in ("2026-10", "2026-11"):
        status, doc = report(ledger_app, api, "acme", month, ALICE)
        assert status == 200, doc
        used[month] = {e["environment"]: e["used_minutes"] for e in doc["sla"]["environments"]}
    assert used == {"2026-10": {"production": 0}, "2026-11": {"production": 1440}}


def test_the_overview_gives_every_customer_worst_first_and_the_rules_that_hurt(
        ledger_app: Flask, api: FlaskClient) -> None:
    month = build_month(ledger_app, api)
    give_feedback(ledger_app, api, month)
    at(ledger_app, "2026-12-07T10:00:00Z")
    # every customer side by side is for engineers and admins (the roles: test_authz_matrix)
    refused = api.get(f"{REPORT}?month=2026-11", headers=ALICE)
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    response = api.get(f"{REPORT}?month=2026-11", headers=ENGINEER)
    assert response.status_code == 200, response.get_data(as_text=True)
    doc = response.get_json()
    jsonschema.validate(doc, _schema("Overview"))
    assert (doc["month"], doc["title"], doc["sort"]) == ("2026-11", "November 2026", "worst")
    # Acme rated 67 % helped; nobody else rated anything, so Acme leads the worst-first order
    assert doc["customers"][0]["customer"] == "acme"
    assert {r["customer"] for r in doc["customers"]} == {"acme", "bakkerij_jansen", "globex"}
    acme = doc["customers"][0]
    # the same figures as Acme's own report of the month: the two never disagree
    own = api.get(f"{REPORT}/acme?month=2026-11", headers=ENGINEER).get_json()
    assert acme == {
        "customer": "acme", "name": own["customer"]["name"],
        "requests": 7, "needs_approval": 3, "deny": 1, "downtime_avoided_hours": 24,
        "sla_used_minutes": 1440, "sla_over_budget": True,
        "late": own["answer_times"]["late"] + own["answer_times"]["overdue"],
        "security_open": own["security"]["open"], "security_closed": own["security"]["closed"],
        "feedback_score": 67, "feedback_answers": own["feedback"]["answers"]}
    # full admin's re-provisioning stood behind three needs_approval answers; Globex's export
    # and Acme's break-glass add data protection's, which leads
    rules = [(r["rule"], r["needs_approval"], r["deny"]) for r in doc["rules"]]
    assert ("gatekeeper.rules.reprovisioning.consequences", 3, 0) in rules
    assert rules[0] == ("gatekeeper.rules.data_protection.consequences", 4, 1)
    by_requests = api.get(f"{REPORT}?month=2026-11&sort=requests", headers=ADMIN).get_json()
    assert [r["customer"] for r in by_requests["customers"]][:2] == ["acme", "globex"]


def test_the_overview_names_a_bad_sort_or_month(ledger_app: Flask, api: FlaskClient) -> None:
    at(ledger_app, "2026-12-07T10:00:00Z")
    for query, field, words in (("sort=best", "sort", "must be one of worst, name"),
                                ("month=2026-13", "month", "YYYY-MM"),
                                ("month=0000-01", "month", "from 1971-01 to 9998-12"),
                                ("month=2027-01", "month", "in the future")):
        response = api.get(f"{REPORT}?{query}", headers=ENGINEER)
        assert response.status_code in (400, 422), response.get_data(as_text=True)
        assert response.mimetype == "application/problem+json"
        (error,) = response.get_json()["errors"]
        assert error["field"] == field and words in error["problem"], error
    current = api.get(REPORT, headers=ENGINEER).get_json()  # no month: the current one
    assert current["month"] == "2026-12" and current["customers"] == [
        row for row in current["customers"] if row["requests"] == 0]
