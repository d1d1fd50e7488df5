"""Notifications end to end: a request's decision and transitions reach real SMTP and HTTP
receivers through the outbox, routed by the customer's policy data."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from gatekeeper.app import create_app
from gatekeeper.bootstrap import Services, services
from gatekeeper.domain import Principal
from tests.conftest import POLICIES, load_example
from tests.notify_servers import WHSEC, HttpSink, SmtpSink, point_policies_at, verify

CAROL = Principal("carol@globex.example", "customer", "globex", "Carol")
APPROVER = Principal("bob@msp.example", "approver", None, "Bob")
NOW = datetime.now(UTC).replace(microsecond=0)  # the outbox and its timers run on real time


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def http() -> Iterator[HttpSink]:
    with HttpSink() as sink:
        yield sink


def make_app(tmp_path: Path, http: HttpSink, **config: Any) -> Flask:
    policies = tmp_path / "policies"
    if not policies.exists():
        point_policies_at(POLICIES, policies, http)
    settings = {"TESTING": True, "POLICIES": str(policies),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'gk.db'}",
                "WEBHOOK_SECRETS": f"globex={WHSEC}", "PUBLIC_URL": "https://gk.example",
                "OUTBOX_RETRY_SECONDS": 0.01, "OUTBOX_MAX_ATTEMPTS": 3}
    settings.update(config)
    return create_app(settings)


def drain(svc: Services, seconds: float = 10.0) -> None:
    """Run the dispatcher until nothing is pending (retries are due within milliseconds)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        svc.dispatcher.run_once()
        counts = svc.outbox.counts()
        if not any(by.get("pending") for by in counts.values()):
            return
        time.sleep(0.02)
    raise AssertionError(f"the outbox did not settle: {svc.outbox.counts()}")


def export_request(svc: Services) -> str:
    body = load_example("03_data_export")["request"]
    return svc.requests.submit(body, CAROL, now=NOW).request_id


def test_a_decision_writes_its_event_in_the_same_transaction(tmp_path: Path,
                                                              http: HttpSink) -> None:
    svc = services(make_app(tmp_path, http))
    rid = export_request(svc)
    [event] = svc.outbox.find(request_id=rid)
    assert (event.kind, event.topic, event.state) == ("event", "decided", "pending")
    assert event.payload["to"] == "awaiting_approval"


def test_an_export_reaches_security_and_approvers_and_the_outcome_the_requester(
        tmp_path: Path, smtp: SmtpSink, http: HttpSink) -> None:
    svc = services(make_app(tmp_path, http, SMTP_URL=smtp.url))
    rid = export_request(svc)
    drain(svc)
    to = {m.to[0]: m for m in smtp.mails}
    assert set(to) == {"secops@globex.example", "approvals@msp.example"}
    security = to["secops@globex.example"]
    assert security.subject == "Please read now: a request on Production ERP"
    assert "carol@globex.example" in security.body and "Request " + rid[:8] in security.body
    approvers = to["approvals@msp.example"]
    assert approvers.subject == "A request on Production ERP waits for you"
    assert f"https://gk.example/console/requests/{rid}" in approvers.body

    [hook] = http.at("/globex/security/webhook")
    assert verify(hook), "the Standard Webhooks signature must verify with the secret"
    body = hook.json()
    assert body["type"] == "gatekeeper.escalation"
    assert body["data"]["security"] is True and body["data"]["deliver_by"]
    assert body["data"]["request"]["id"] == rid
    assert hook.headers["webhook-id"] == body["data"]["message_id"]

    [card] = http.at("/globex/approvers/teams")
    teams = card.json()
    assert teams["@type"] == "MessageCard" and teams["title"].startswith("A request on")
    assert teams["potentialAction"][0]["targets"][0]["uri"].endswith(f"/console/requests/{rid}")

    smtp.mails.clear()
    svc.requests.approve(rid, APPROVER, {}, now=NOW + timedelta(minutes=5))
    record = svc.ledger.get(rid)
    if record.state == "awaiting_acceptance":  # the consequences are still to be accepted
        ids = [c.id for c in record.decision.consequences]
        svc.requests.accept(rid, CAROL, {"consequences": ids}, now=NOW + timedelta(minutes=6))
    assert svc.ledger.get(rid).state == "granted"
    drain(svc)
    [outcome] = smtp.mails
    assert outcome.to == ["carol@globex.example"] and outcome.subject == "Your access is ready"
    assert "(New York time)" in outcome.body
    assert f"https://gk.example/requests/{rid}" in outcome.body
    sent = [i for i in svc.outbox.find(request_id=rid, kind="message")]
    assert sent and all(i.state == "sent" for i in sent)


def test_a_rejection_tells_the_requester_why(tmp_path: Path, smtp: SmtpSink,
                                             http: HttpSink) -> None:
    svc = services(make_app(tmp_path, http, SMTP_URL=smtp.url))
    rid = export_request(svc)
    svc.requests.reject(rid, APPROVER, {"reason": "the CRM project has no data agreement"},
                        now=NOW + timedelta(minutes=5))
    drain(svc)
    [rejected] = [m for m in smtp.mails if m.to == ["carol@globex.example"]]
    assert rejected.subject == "Your request was not approved"
    assert "The reason: the CRM project has no data agreement." in rejected.body


def test_muted_customers_hear_only_of_security(tmp_path: Path, smtp: SmtpSink,
                                               http: HttpSink) -> None:
    svc = services(make_app(tmp_path, http, SMTP_URL=smtp.url))
    body = load_example("04_outside_support_hours")["request"]
    ident = load_example("04_outside_support_hours")["identity"]
    who = Principal(ident["subject"], ident["role"], ident.get("organisation"), "K")
    now = datetime.fromisoformat(load_example("04_outside_support_hours")["now"])
    rid = svc.requests.submit(body, who, now=now).request_id
    drain(svc)
    record = svc.ledger.get(rid)
    security = [m for m in svc.outbox.find(request_id=rid, kind="message") if m.security]
    others = [m for m in svc.outbox.find(request_id=rid, kind="message") if not m.security]
    assert others == [], f"bakkerij_jansen mutes non-security notices ({record.state})"
    assert len(smtp.mails) == len(security)


def test_a_failing_webhook_is_retried_then_dead_lettered_and_the_request_stands(
        tmp_path: Path, smtp: SmtpSink, http: HttpSink) -> None:
    http.status["/globex/security/webhook"] = [500]
    svc = services(make_app(tmp_path, http, SMTP_URL=smtp.url))
    rid = export_request(svc)
    assert svc.ledger.get(rid).state == "awaiting_approval"
    drain(svc)
    [dead] = svc.outbox.find(states=("dead",))
    assert dead.channel == "webhook" and dead.attempts == 3
    assert dead.last_error.endswith("answered HTTP 500")
    assert len(http.at("/globex/security/webhook")) == 3
    ids = {h.headers["webhook-id"] for h in http.at("/globex/security/webhook")}
    assert ids == {dead.id}, "every retry carries the message's one id"
    assert {m.to[0] for m in smtp.mails} == {"secops@globex.example", "approvals@msp.example"}

    http.status["/globex/security/webhook"] = [200]
    assert svc.outbox.retry([dead.id], datetime.now(UTC)) == 1
    drain(svc)
    assert svc.outbox.get(dead.id).state == "sent"  # type: ignore[union-attr]


def test_a_webhook_that_answers_late_is_a_timeout(tmp_path: Path, smtp: SmtpSink,
                                                  http: HttpSink) -> None:
    http.delay = 0.6
    svc = services(make_app(tmp_path, http, SMTP_URL=smtp.url, NOTIFY_TIMEOUT_SECONDS=0.2,
                            OUTBOX_MAX_ATTEMPTS=1))
    export_request(svc)
    drain(svc)
    dead = {i.channel: i for i in svc.outbox.find(states=("dead",))}
    assert set(dead) == {"webhook", "teams"}
    assert "did not answer within 0.2 s" in (dead["webhook"].last_error or "")


def test_an_unreachable_mail_server_and_a_malformed_address_are_dead_lettered(
        tmp_path: Path, http: HttpSink) -> None:
    from tests.notify_servers import free_port

    svc = services(make_app(tmp_path, http, SMTP_URL=f"smtp://127.0.0.1:{free_port()}"))
    export_request(svc)
    bad = svc.ledger.get(export_request(svc))
    drain(svc)
    dead = svc.outbox.find(states=("dead",), kind="message")
    assert {d.channel for d in dead} == {"email"} and len(dead) == 4
    assert all("failed: ConnectionRefusedError" in (d.last_error or "") for d in dead)
    assert bad.state == "awaiting_approval"


def test_a_malformed_address_is_named_in_the_dead_letter(tmp_path: Path, smtp: SmtpSink,
                                                         http: HttpSink) -> None:
    point_policies_at(POLICIES, tmp_path / "policies", http)
    data = tmp_path / "policies" / "customers" / "data.yaml"
    data.write_text(data.read_text().replace("approvals@msp.example", "approvals@msp"))
    svc = services(make_app(tmp_path, http, SMTP_URL=smtp.url))
    export_request(svc)
    drain(svc)
    [dead] = svc.outbox.find(states=("dead",))
    assert dead.last_error == "malformed e-mail address 'approvals@msp'"
    assert [m.to for m in smtp.mails] == [["secops@globex.example"]]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_when_configured(tmp_path: Path, http: HttpSink) -> None:
    with SmtpSink(login=("gk", "s3cret pass")) as smtp:
        svc = services(make_app(tmp_path, http, SMTP_URL=f"smtp://gk:s3cret%20pass@127.0.0.1:"
                                                         f"{smtp.port}"))
        export_request(svc)
        drain(svc)
        assert len(smtp.mails) == 2


def test_slack_messages_are_readable_with_a_link(tmp_path: Path, smtp: SmtpSink,
                                                 http: HttpSink) -> None:
    svc = services(make_app(tmp_path, http, SMTP_URL=smtp.url))
    body = load_example("01_full_admin_software_install_acme")
    who = Principal(body["identity"]["subject"], body["identity"]["role"],
                    body["identity"].get("organisation"), "A")
    rid = svc.requests.submit(body["request"], who,
                              now=datetime.fromisoformat(body["now"])).request_id
    drain(svc)
    [hit] = http.at("/acme/approvers/slack")  # full admin on Gold production needs approval
    text = hit.json()["text"]
    assert text.startswith("*A request on Production web shop waits for you*\n")
    assert f"<https://gk.example/console/requests/{rid}|Open the request>" in text


def test_outbox_cli_lists_retries_and_purges(tmp_path: Path, http: HttpSink) -> None:
    app = make_app(tmp_path, http, OUTBOX_MAX_ATTEMPTS=1)
    svc = services(app)
    export_request(svc)
    drain(svc)
    runner = app.test_cli_runner()
    from gatekeeper.cli import cli

    env = {"GATEKEEPER_DATABASE_URL": f"sqlite:///{tmp_path / 'gk.db'}",
           "GATEKEEPER_POLICIES": str(tmp_path / "policies")}
    listed = runner.invoke(cli, ["outbox", "list", "--state", "dead", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.output.splitlines() if line.startswith("{")]
    assert {r["channel"] for r in rows} == {"email"}
    assert all(r["last_error"] == "no mail server: GATEKEEPER_SMTP_URL is not set" for r in rows)
    retried = runner.invoke(cli, ["outbox", "retry", rows[0]["id"]], env=env)
    assert retried.exit_code == 0 and "1 item(s)" in retried.output
    again = runner.invoke(cli, ["outbox", "retry", rows[0]["id"]], env=env)
    assert again.exit_code != 0 and "not dead-lettered" in again.output
    purged = runner.invoke(cli, ["outbox", "purge", "--older-than-days", "0"], env=env)
    assert purged.exit_code == 0 and "item(s) deleted" in purged.output


def test_a_request_nobody_acts_on_goes_to_the_next_contact_at_each_deadline(
        tmp_path: Path, smtp: SmtpSink, http: HttpSink) -> None:
    svc = services(make_app(tmp_path, http, SMTP_URL=smtp.url))
    example = load_example("01_full_admin_software_install_acme")
    who = Principal(example["identity"]["subject"], "customer", "acme", "A")
    body = {k: v for k, v in example["request"].items() if k != "start"}
    rid = svc.requests.submit(body, who, now=NOW).request_id
    assert svc.ledger.get(rid).state == "awaiting_approval"
    deadline = svc.deadlines.of(svc.ledger.get(rid))
    assert deadline is not None and deadline["hours"] == 4  # Gold, around the clock
    assert deadline["summary"].startswith("An approver should answer by ")
    drain(svc)
    smtp.mails.clear()
    start = datetime.now(UTC)
    svc.dispatcher.clock = lambda: start + timedelta(hours=5)
    drain(svc)
    [first] = smtp.mails
    assert first.to == ["pieter.bakker@acme.example"]
    assert first.subject == "No answer yet to a request on Production web shop"
    assert "It waits for an approval." in first.body and "(Amsterdam time)" in first.body
    drain(svc)
    assert len(smtp.mails) == 1, "each level is told once"
    svc.dispatcher.clock = lambda: start + timedelta(hours=9)
    drain(svc)
    assert [m.to for m in smtp.mails[1:]] == [["oncall@msp.example"]]
    svc.dispatcher.clock = lambda: start + timedelta(hours=40)
    drain(svc)
    assert len(smtp.mails) == 2, "no contact is left after the last level"
    assert svc.ledger.get(rid).state == "awaiting_approval"


def test_the_requester_is_reminded_before_a_grant_ends(tmp_path: Path, smtp: SmtpSink,
                                                       http: HttpSink) -> None:
    svc = services(make_app(tmp_path, http, SMTP_URL=smtp.url))
    example = load_example("02_read_only_troubleshooting")
    who = Principal(example["identity"]["subject"], example["identity"]["role"],
                    example["identity"].get("organisation"), "A")
    body = {**example["request"], "duration_hours": 3}
    body.pop("start", None)
    rid = svc.requests.submit(body, who, now=NOW).request_id
    assert svc.ledger.get(rid).state == "granted"
    drain(svc)
    assert [m.subject for m in smtp.mails] == ["Your access is ready"]
    start = datetime.now(UTC)
    svc.dispatcher.clock = lambda: start + timedelta(hours=1, minutes=30)  # Acme: 60 minutes
    drain(svc)
    assert len(smtp.mails) == 1, "not yet"
    svc.dispatcher.clock = lambda: start + timedelta(hours=2, minutes=10)
    drain(svc)
    assert [m.subject for m in smtp.mails[1:]] == ["Your access ends soon"]
    assert smtp.mails[1].to == [who.subject]


def test_mail_goes_over_starttls_with_login_when_the_server_requires_it(
        tmp_path: Path, http: HttpSink, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real server that refuses anything before STARTTLS and a login before TLS; the
    client trusts its certificate the usual way (SSL_CERT_FILE) and verifies the name."""
    from tests.notify_servers import self_signed

    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with SmtpSink(login=("gk", "s3cret"), tls=(cert, key)) as sink:
        url = f"smtp://gk:s3cret@127.0.0.1:{sink.port}?starttls=1"
        svc = services(make_app(tmp_path, http, SMTP_URL=url))
        export_request(svc)
        drain(svc)
        assert sink.mails and all(sink.encrypted)
        assert svc.outbox.find(states=("dead",), kind="message") == []
    with SmtpSink(login=("gk", "s3cret"), tls=(cert, key)) as plain_only:
        url = f"smtp://gk:s3cret@127.0.0.1:{plain_only.port}"  # no starttls: refused, kept
        svc = services(make_app(tmp_path / "plain", http, SMTP_URL=url,
                                OUTBOX_MAX_ATTEMPTS=1))
        export_request(svc)
        drain(svc)
        assert plain_only.mails == []
        dead = svc.outbox.find(states=("dead",), kind="message")
        assert dead and all(d.channel == "email" for d in dead)
