"""The engineers' console through the Flask test client: queue, trace, approve, reject."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from gatekeeper.bootstrap import services

pytest.register_assert_rewrite("tests.web_fixtures")
from tests.web_fixtures import (  # noqa: E402
    ADA,
    ALICE,
    ANN,
    CAROL,
    ED,
    Browser,
    submit,
    text,
)

pytest_plugins = ["tests.web_fixtures"]  # the web_app and browser fixtures


def test_customers_cannot_open_the_console(browser: Browser) -> None:
    for url in ("/console", "/console/customers", "/console/customers/acme"):
        response = browser.as_(ALICE).get(url)
        assert response.status_code == 403, url
        assert "text/html" in response.content_type


def test_the_queue_lists_requests_awaiting_approval(browser: Browser) -> None:
    waiting = submit(browser, ALICE, "full_admin_software_install")
    granted = submit(browser, ALICE, "read_only_troubleshooting")
    html = browser.as_(ANN).get("/console").get_data(as_text=True)
    assert waiting in html and granted not in html
    assert "Acme Retail B.V." in html and "Full administrator" in html
    assert granted in browser.get("/console?show=granted").get_data(as_text=True)


def test_the_detail_traces_every_element_to_its_rule(browser: Browser) -> None:
    request_id = submit(browser, ALICE, "full_admin_software_install")
    page = text(browser.as_(ANN).get(f"/console/requests/{request_id}"))
    assert "Reasons trace" in page
    assert ("gatekeeper.rules.reprovisioning.consequences GK-RPV-001" in page
            and "consequence reprovisioning_downtime" in page)
    assert "gatekeeper.rules.sla.consequences GK-SLA-001" in page
    assert "alternative software_portal, alternative scoped_admin_named_servers" in page
    assert "1 approval by approver; given: none yet" in page


def test_approving_may_narrow_duration_and_systems(browser: Browser) -> None:
    request_id = submit(browser, ALICE, "full_admin_software_install")
    response = browser.as_(ANN).post(f"/console/requests/{request_id}/approve", data={
        "duration_hours": "4", "narrow_systems": "1", "systems": ["app-01", "app-02"],
        "reason": "install window agreed with the customer"})
    assert response.status_code == 303
    page = text(browser.get(response.headers["Location"]))
    # Gold: approved, but the customer has not yet accepted the 24 hours of downtime
    assert "Approved. Access starts once the customer accepts the consequences." in page
    assert "Waiting for the customer to accept the consequences" in page
    record = services(browser.app).requests.get(request_id, ANN)
    assert record.state == "awaiting_acceptance"
    assert record.grant.to_dict() == {"duration_hours": 4.0, "systems": ["app-01", "app-02"]}
    assert "Narrowed: duration 4 hours; systems app-01, app-02." in page
    waiting = text(browser.as_(ALICE).get(f"/requests/{request_id}"))
    assert "An MSP approver agreed. Access starts only when you accept" in waiting
    services(browser.app).requests.accept(request_id, ALICE, {
        "consequences": [c.id for c in record.decision.consequences]})
    customer_view = text(browser.as_(ALICE).get(f"/requests/{request_id}"))
    assert "Access granted" in customer_view
    assert "Granted on app-01, app-02 , for 4 hours" in customer_view


def test_widening_is_refused_next_to_the_field(browser: Browser) -> None:
    request_id = submit(browser, ALICE, "full_admin_software_install")
    response = browser.as_(ANN).post(f"/console/requests/{request_id}/approve",
                                     data={"duration_hours": "48"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="duration_hours-error-1"' in html and "May only shorten the grant" in html
    assert 'value="48"' in html  # the approver's value is kept
    narrow_none = browser.post(f"/console/requests/{request_id}/approve",
                               data={"narrow_systems": "1"})
    assert narrow_none.status_code == 422 and 'id="systems-error-1"' in narrow_none.get_data(
        as_text=True)
    assert services(browser.app).requests.get(request_id, ANN).state == "awaiting_approval"


def test_rejecting_needs_a_reason_the_customer_then_reads(browser: Browser) -> None:
    request_id = submit(browser, ALICE, "full_admin_software_install")
    response = browser.as_(ANN).post(f"/console/requests/{request_id}/reject", data={})
    assert response.status_code == 422 and 'id="reject_reason-error-1"' in response.get_data(
        as_text=True)
    response = browser.post(f"/console/requests/{request_id}/reject",
                            data={"reason": "use the software portal package instead"})
    assert response.status_code == 303
    assert "Rejected" in text(browser.get(response.headers["Location"]))
    customer_view = text(browser.as_(ALICE).get(f"/requests/{request_id}"))
    assert "Rejected by the MSP" in customer_view
    assert "use the software portal package instead" in customer_view


def test_a_decided_request_says_so_instead_of_failing(browser: Browser) -> None:
    request_id = submit(browser, ALICE, "full_admin_software_install")
    browser.as_(ALICE).post(f"/requests/{request_id}/withdraw", data={"reason": "not needed"})
    response = browser.as_(ANN).post(f"/console/requests/{request_id}/approve", data={})
    assert response.status_code == 303
    page = text(browser.get(response.headers["Location"]))
    assert "changed while you were looking at it, so nothing was done" in page
    assert "It is now: withdrawn" in page


def test_an_engineer_without_the_approver_role_cannot_approve(browser: Browser) -> None:
    request_id = submit(browser, ALICE, "full_admin_software_install")
    page = text(browser.as_(ED).get(f"/console/requests/{request_id}"))
    assert "needs the role approver" in page and "Approve" not in page.split("Decide", 1)[1][:200]
    response = browser.post(f"/console/requests/{request_id}/approve", data={})
    assert response.status_code == 403


def test_approvers_cannot_submit_through_the_web_either(browser: Browser) -> None:
    response = browser.as_(ANN).get("/requests/new")
    assert response.status_code == 403


def test_the_requester_never_approves_their_own_request(browser: Browser) -> None:
    request_id = submit(browser, ADA, "full_admin_software_install")
    page = text(browser.as_(ADA).get(f"/console/requests/{request_id}"))
    assert "You asked for this request yourself" in page
    response = browser.post(f"/console/requests/{request_id}/approve", data={})
    assert "yourself" in text(browser.get(response.headers["Location"]))


def test_the_customer_view_lists_only_that_customers_requests(browser: Browser) -> None:
    acme = submit(browser, ALICE, "full_admin_software_install")
    globex = submit(browser, CAROL, "data_export_globex")
    html = browser.as_(ED).get("/console/customers/acme").get_data(as_text=True)
    assert acme in html and globex not in html
    assert "Europe/Amsterdam" in html and "web-01" in html
    overview = text(browser.get("/console/customers"))
    assert "Acme Retail B.V. Gold" in overview
    assert browser.get("/console/customers/nobody").status_code == 404
    filtered = browser.get("/console/customers/globex?state=granted").get_data(as_text=True)
    assert globex not in filtered


def test_the_detail_shows_each_notification_and_its_delivery_state(browser: Browser) -> None:
    request_id = submit(browser, ALICE, "full_admin_software_install")
    page = text(browser.as_(ANN).get(f"/console/requests/{request_id}"))
    assert "Notifications" in page and "1 event(s) not routed yet" in page
    svc = services(browser.app)
    svc.dispatcher.run_once()  # no mail server in this app: the e-mails fail and wait
    page = text(browser.as_(ANN).get(f"/console/requests/{request_id}"))
    assert "approval needed" in page and "approvals@msp.example" in page
    assert "no mail server: GATEKEEPER_SMTP_URL is not set" in page
    assert "https://hooks.slack.example/…" in page, "a chat URL shows its host only"


def test_a_waiting_request_shows_its_deadline_to_the_customer_and_the_console(
        browser: Browser) -> None:
    request_id = submit(browser, ALICE, "full_admin_software_install")
    mine = text(browser.as_(ALICE).get(f"/requests/{request_id}"))
    assert "An approver should answer by " in mine and "(Amsterdam time) (within 4 hours)." in mine
    console = text(browser.as_(ANN).get(f"/console/requests/{request_id}"))
    assert "An approver should answer by " in console
    granted = submit(browser, ALICE, "read_only_troubleshooting")
    assert "should answer by" not in text(browser.as_(ALICE).get(f"/requests/{granted}"))


def test_the_queue_says_by_when_each_waiting_request_should_be_answered(
        browser: Browser) -> None:
    """The approver scanning the queue sees the same due time as on the request's page."""
    request_id = submit(browser, ALICE, "full_admin_software_install")
    with browser.app.app_context():
        record = services(browser.app).requests.get(request_id, ANN)
        due = services(browser.app).deadlines.of(record)
    assert due is not None
    # in Acme's time zone, as the Submitted column beside it
    shown = datetime.fromisoformat(due["due"].replace("Z", "+00:00")).astimezone(
        ZoneInfo("Europe/Amsterdam")).strftime("%d %b %Y %H:%M")
    queue = text(browser.as_(ANN).get("/console"))
    assert "Answer by" in queue and shown in queue
    submit(browser, ALICE, "read_only_troubleshooting")  # granted at once: nothing is due
    granted = text(browser.as_(ANN).get("/console?show=granted"))
    assert "Answer by" in granted and shown not in granted
