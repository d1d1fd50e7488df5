"""Asking for more time from the request page: the policy decides, the page says what it did."""

from __future__ import annotations

import pytest

from gatekeeper.bootstrap import services

pytest.register_assert_rewrite("tests.web_fixtures")
from tests.web_fixtures import ALICE, ANN, BOB, Browser, submit, text  # noqa: E402

pytest_plugins = ["tests.web_fixtures"]  # the web_app and browser fixtures


def test_more_time_on_a_grant_from_its_page(browser: Browser) -> None:
    request_id = submit(browser, ALICE, "read_only_troubleshooting")
    page = browser.as_(ALICE).get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Ask for more time" in page and 'id="extend-hours"' in page
    before = services(browser.app).requests.get(request_id, ALICE).grant_ends_at
    response = browser.post(f"/requests/{request_id}/extend",
                            data={"hours": "2", "reason": "the logs need longer"})
    assert response.status_code == 303
    shown = text(browser.get(response.headers["Location"]))
    assert "You have more time. Your access now ends at" in shown
    assert "More time asked for" in shown  # the history names the step
    after = services(browser.app).requests.get(request_id, ALICE)
    assert before is not None and after.grant_ends_at is not None
    assert (after.grant_ends_at - before).total_seconds() == 2 * 3600


def test_bad_hours_and_other_people_are_refused_with_a_message(browser: Browser) -> None:
    request_id = submit(browser, ALICE, "read_only_troubleshooting")
    for hours in ("", "abc", "0", "1000"):
        response = browser.as_(ALICE).post(f"/requests/{request_id}/extend",
                                           data={"hours": hours})
        assert response.status_code == 303
        shown = text(browser.get(response.headers["Location"]))
        assert "The number of hours must be" in shown, (hours, shown)
        assert "You have more time" not in shown
    # a colleague sees the grant but may not ask for more time on it
    assert "Ask for more time" not in browser.as_(BOB).get(
        f"/requests/{request_id}").get_data(as_text=True)
    refused = browser.post(f"/requests/{request_id}/extend", data={"hours": "1"})
    assert refused.status_code == 303
    assert "only the requester" in text(browser.get(refused.headers["Location"])).lower()


def test_more_time_that_needs_an_approver_continues_as_a_linked_request(
        browser: Browser) -> None:
    requests = services(browser.app).requests
    request_id = submit(browser, ALICE, "full_admin_software_install")
    record = requests.approve(request_id, ANN, {"duration_hours": 2})
    ids = [str(c.id) for c in record.decision.consequences]
    assert requests.accept(request_id, ALICE, {"consequences": ids}).state == "granted"
    response = browser.as_(ALICE).post(f"/requests/{request_id}/extend", data={"hours": "3"})
    shown = text(browser.get(response.headers["Location"]))
    assert "Your request for more time continues as request" in shown
    assert "Your access still ends at" in shown
    assert "You asked for 3 hours more" in shown
    linked = requests.get(request_id, ALICE).follow_up_ids[0]
    assert requests.get(linked, ALICE).state == "awaiting_approval"
    assert "This request asks for 3 hours more on request" in text(
        browser.get(f"/requests/{linked}"))
    console = text(browser.as_(ANN).get(f"/console/requests/{linked}"))
    assert "More time for" in console
