"""The customer pages through the Flask test client: form, answer page, actions, my requests."""

from __future__ import annotations

import dataclasses
import re

import pytest

from gatekeeper.bootstrap import SETTINGS_EXTENSION, services, settings
from gatekeeper.server.identifier import SESSION_KEY
from gatekeeper.web.forms import justification_problem
from tests.conftest import example_files, load_example

pytest.register_assert_rewrite("tests.web_fixtures")
from tests.web_fixtures import (  # noqa: E402
    ALICE,
    ANN,
    BOB,
    CAROL,
    ED,
    Browser,
    form_of,
    submit,
    text,
)

pytest_plugins = ["tests.web_fixtures"]  # the web_app and browser fixtures


def test_form_offers_only_the_customers_own_environments_with_labelled_fields(
    browser: Browser,
) -> None:
    response = browser.as_(ALICE).get("/requests/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="acme/production"' in html and 'value="acme/staging"' in html
    assert "globex" not in html and "Bakkerij" not in html
    ids = set(re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html))
    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
    assert ids and ids <= labelled, f"controls without a label: {ids - labelled}"
    assert "cdn" not in html.lower() and "<script" not in html


@pytest.mark.parametrize("reason", ["", ".", "asap", "need it now!", "urgent", "see ticket"])
def test_a_throwaway_justification_is_refused_next_to_the_field_keeping_the_values(
    browser: Browser, reason: str
) -> None:
    response = browser.as_(ALICE).post(
        "/requests/new", data=form_of("full_admin_software_install", justification=reason))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    field = html.index('id="field-justification"')
    error = html.index('id="justification-error-1"')
    assert html.index("Why is it needed?") < error < field
    assert 'aria-describedby="justification-hint justification-error-1"' in html
    assert "install the new ERP client on the application servers</textarea>" in html
    assert 'value="full_admin" checked' in html
    assert services(browser.app).requests.search(ALICE, {}).items == ()


def test_every_example_justification_is_accepted() -> None:
    for path in example_files():
        reason = load_example(path.stem)["request"]["justification"]
        if path.stem.startswith("08_"):
            continue  # "urgent" on its own is the throw-away example
        assert justification_problem(reason) is None, reason


def test_missing_fields_are_each_named_at_their_field(browser: Browser) -> None:
    response = browser.as_(ALICE).post("/requests/new", data={"urgency": "normal"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for name in ("environment", "purpose", "need", "access", "duration_hours", "justification"):
        assert f'id="{name}-error-1"' in html, name
    assert "Please check 6 things" in html


def test_systems_of_another_environment_are_refused(browser: Browser) -> None:
    form = form_of("full_admin_software_install", systems=["acme/staging/stg-app-01"])
    response = browser.as_(ALICE).post("/requests/new", data=form)
    assert response.status_code == 422
    assert "stg-app-01 belongs to Staging" in text(response)


def test_start_is_read_in_the_customers_timezone(browser: Browser) -> None:
    request_id = submit(browser, ALICE, "full_admin_software_install", start="2026-12-02T10:00")
    record = services(browser.app).requests.get(request_id, ALICE)
    # Amsterdam is UTC+1 in December
    assert record.request.to_dict()["start"] == "2026-12-02T09:00:00Z"
    assert "Wed 02 Dec 2026, 10:00 (CET, Europe/Amsterdam)" in text(
        browser.get(f"/requests/{request_id}"))


def test_the_answer_shows_figures_ranked_alternatives_and_actions(browser: Browser) -> None:
    request_id = submit(browser, ALICE, "full_admin_software_install")
    page = text(browser.as_(ALICE).get(f"/requests/{request_id}"))
    assert "Waiting for an MSP approver" in page
    assert "24 hours of downtime afterwards" in page and "Downtime 24 hours" in page
    assert "Downtime you tolerate 2 hours" in page
    # Downtime the customer's request causes earns no credit under the Gold terms.
    assert "SLA budget left exceeded by 1,397 min" in page
    assert "Service credit none: your request causes this downtime" in page
    assert "it earns no service credit, and it still uses your SLA budget" in page
    ranked = [page.index(t) for t in ("Packaged deployment from the software portal",
                                      "Time-boxed admin on named servers",
                                      "Supervised session with an MSP engineer",
                                      "MSP standard change")]
    assert ranked == sorted(ranked)
    assert "Why it ranks here: Best for you: it is the fastest" in page
    assert page.count("Choose this instead") == 4 and "Withdraw the request" in page
    # needs approval AND has consequences: the customer accepts them too, in either order
    assert "Two things are needed: an MSP approver must agree, and you must accept" in page
    assert "Accept and go ahead" in page


def test_choosing_an_alternative_shows_the_new_state_and_the_follow_up(browser: Browser) -> None:
    request_id = submit(browser, ALICE, "full_admin_software_install")
    response = browser.as_(ALICE).post(f"/requests/{request_id}/choose",
                                       data={"alternative": "software_portal"})
    assert response.status_code == 303
    page = text(browser.get(response.headers["Location"]))
    assert "You chose “Packaged deployment from the software portal” instead" in page
    assert "Replaced by an alternative" in page and "Choose this instead" not in page
    follow = services(browser.app).requests.get(request_id, ALICE).follow_up_ids[0]
    assert f'href="/requests/{follow}"' in browser.get(f"/requests/{request_id}").get_data(
        as_text=True)
    follow_page = text(browser.get(f"/requests/{follow}"))
    assert "carries the alternative you chose" in follow_page
    assert "Access granted" in follow_page  # the policy: the portal needs no approval


def test_an_alternative_that_needs_approval_waits_for_an_approver(browser: Browser) -> None:
    request_id = submit(browser, ALICE, "full_admin_software_install")
    response = browser.as_(ALICE).post(f"/requests/{request_id}/choose",
                                       data={"alternative": "scoped_admin_named_servers"})
    assert response.status_code == 303
    follow = services(browser.app).requests.get(request_id, ALICE).follow_up_ids[0]
    assert services(browser.app).requests.get(follow, ALICE).state == "awaiting_approval"
    assert "Waiting for an MSP approver" in text(browser.get(f"/requests/{follow}"))


def test_a_stale_form_says_the_request_changed(browser: Browser) -> None:
    request_id = submit(browser, ALICE, "full_admin_software_install")
    browser.as_(ALICE).post(f"/requests/{request_id}/withdraw", data={})
    response = browser.post(f"/requests/{request_id}/choose",
                            data={"alternative": "software_portal"})
    assert response.status_code == 303
    page = text(browser.get(response.headers["Location"]))
    assert "changed while you were looking at it, so nothing was done" in page
    assert "It is now: withdrawn" in page


def test_accepting_needs_every_consequence_ticked(browser: Browser) -> None:
    # Read-only access asked for an install: one consequence ("it will not let you install
    # software") to accept, no approver. (Full admin on Globex production, used before, can
    # read customer data and so needs an approver since issue 16.)
    request_id = submit(browser, CAROL, "globex_completeness_detail", access="read_only")
    page = text(browser.as_(CAROL).get(f"/requests/{request_id}"))
    assert "Your answer is needed" in page
    assert "I understand and accept: this access will not let you install software" in page
    response = browser.post(f"/requests/{request_id}/accept", data={"consequences": []})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="consequences-error-1"' in html
    response = browser.post(f"/requests/{request_id}/accept",
                            data={"consequences": ["access_does_not_fit"]})
    page = text(browser.get(response.headers["Location"]))
    assert "You accepted the consequences" in page and "Access granted" in page


def test_a_customer_cannot_open_or_act_on_another_customers_request(browser: Browser) -> None:
    request_id = submit(browser, CAROL, "data_export_globex")
    response = browser.as_(ALICE).get(f"/requests/{request_id}")
    assert response.status_code == 404 and "text/html" in response.content_type
    assert "Request not found" in text(response)
    assert browser.post(f"/requests/{request_id}/withdraw").status_code == 404
    assert request_id not in browser.get("/requests").get_data(as_text=True)


def test_only_the_requester_answers_a_colleague_sees_it(browser: Browser) -> None:
    request_id = submit(browser, ALICE, "full_admin_software_install")
    page = text(browser.as_(BOB).get(f"/requests/{request_id}"))
    assert "Choose this instead" not in page and "Withdraw the request" not in page


def test_my_requests_lists_status_and_filters(browser: Browser) -> None:
    first = submit(browser, ALICE, "full_admin_software_install")
    second = submit(browser, ALICE, "read_only_troubleshooting")
    html = browser.as_(ALICE).get("/requests").get_data(as_text=True)
    assert first in html and second in html
    assert "Access granted" in html and "Waiting for an MSP approver" in html
    open_only = browser.get("/requests?show=open").get_data(as_text=True)
    assert first in open_only and second not in open_only


def test_the_same_form_sent_twice_records_one_request(browser: Browser) -> None:
    form = form_of("full_admin_software_install", idempotency_key="form-123")
    one = browser.as_(ALICE).post("/requests/new", data=form)
    two = browser.post("/requests/new", data=form)
    assert one.headers["Location"] == two.headers["Location"]
    assert len(services(browser.app).requests.search(ALICE, {}).items) == 1


def test_root_sends_each_role_to_its_door(browser: Browser) -> None:
    assert browser.as_(ALICE).get("/").headers["Location"].endswith("/requests")
    assert browser.as_(ANN).get("/").headers["Location"].endswith("/console")
    assert browser.as_(ED).get("/").headers["Location"].endswith("/console")


def test_an_ended_session_sends_the_user_to_sign_in_and_back(browser: Browser) -> None:
    request_id = submit(browser, ALICE, "full_admin_software_install")
    identity = services(browser.app).identity
    with browser.client.session_transaction() as session:
        identity.sign_out(session[SESSION_KEY])  # the session ends (as when it expires)
    response = browser.get(f"/requests/{request_id}")
    assert response.status_code == 303
    target = response.headers["Location"]
    assert target.startswith("/sign-in?next=") and request_id in target
    identity.set_password(ALICE.subject, "another long password!")
    back = browser.post("/sign-in", data={"username": ALICE.subject,
                                         "password": "another long password!",
                                         "next": f"/requests/{request_id}"})
    assert back.status_code == 303 and back.headers["Location"] == f"/requests/{request_id}"
    assert "24 hours of downtime afterwards" in text(browser.get(back.headers["Location"]))


def test_a_form_without_a_valid_csrf_token_is_an_html_page_not_a_crash(
    browser: Browser,
) -> None:
    browser.as_(ALICE)
    on = dataclasses.replace(settings(browser.app), wtf_csrf_enabled=True)
    browser.app.extensions[SETTINGS_EXTENSION] = on
    response = browser.post("/requests/new", data=form_of("full_admin_software_install"))
    assert response.status_code == 400 and "text/html" in response.content_type
    assert "This form has expired" in text(response)
    assert services(browser.app).requests.search(ALICE, {}).items == ()


def test_a_follow_up_page_is_titled_by_its_alternative_with_its_next_step(
        browser: Browser) -> None:
    request_id = submit(browser, ALICE, "full_admin_software_install")
    _, follow = services(browser.app).requests.choose(request_id, ALICE,
                                                      {"alternative": "software_portal"})
    html = browser.as_(ALICE).get(f"/requests/{follow.id}").get_data(as_text=True)
    page = text(browser.get(f"/requests/{follow.id}"))
    assert "<title>Packaged deployment from the software portal on Production web shop" in html
    assert "none on" not in page and "re-provision" not in page
    assert "Your next step" in page
    assert ("Open the self-service software portal, pick the package and choose your "
            "servers.") in page
    assert "It can start at once, with no downtime." in page
    console = text(browser.as_(ANN).get(f"/console/requests/{follow.id}"))
    assert "Packaged deployment from the software portal on Production web shop" in console
    assert "Next step for the customer" in console


def test_consequence_headings_start_with_a_capital(browser: Browser) -> None:
    """Policy titles are written to sit inside a sentence; as headings they are capitalised,
    and the rest stays as written ("SLA" is not "Sla")."""
    request_id = submit(browser, ALICE, "full_admin_software_install")
    html = browser.as_(ALICE).get(f"/requests/{request_id}").get_data(as_text=True)
    headings = re.findall(r"<h3>([^<]+)</h3>", html)
    assert "This access can read customer data" in headings, headings
    assert "Over your SLA budget" in headings, headings
    assert all(h[:1].isupper() or h[:1].isdigit() for h in headings), headings


def test_a_closed_request_says_what_happened_not_its_first_answer(browser: Browser) -> None:
    """A rejected request no longer reads as 'needs an approver'; the first answer stays
    visible, marked as such."""
    request_id = submit(browser, ALICE, "full_admin_software_install")
    services(browser.app).requests.reject(request_id, ANN, {"reason": "not before the audit"})
    page = browser.as_(ALICE).get(f"/requests/{request_id}").get_data(as_text=True)
    lead = re.search(r'<p class="lead" id="closed">(.*?)</p>', page, re.S)
    assert lead is not None, page
    assert "said no to this request" in lead.group(1)
    assert "not before the audit" in lead.group(1)
    assert "needs an approver" not in lead.group(1)
    assert "Our first answer was:" in page and "first answer: " in page
