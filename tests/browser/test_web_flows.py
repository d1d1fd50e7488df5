"""The customer form and the console in Chromium, against `gatekeeper serve` on a free port."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
from playwright.sync_api import expect

REQUEST_PATH = re.compile(r"/requests/([0-9a-f-]{36})$")


def fill_full_admin_request(page: Any, justification: str) -> None:
    """Scenario 01: full admin on Acme production to install the ERP client."""
    page.get_by_label("Environment").select_option("acme/production")
    page.get_by_label("What do you need to accomplish?").select_option("software_install")
    page.get_by_label("In your own words").fill(
        "install the new ERP client on the application servers")
    page.get_by_label("Full administrator").check()
    page.get_by_label("For how long? (hours)").fill("8")
    page.get_by_label("Why is it needed?").fill(justification)
    page.get_by_label("Ticket or change reference").fill("CHG-1001")


def submit_full_admin(page: Any) -> str:
    page.goto("/requests/new")
    fill_full_admin_request(page, "the vendor's installer needs administrator rights")
    page.get_by_role("button", name="Send and see the answer").click()
    page.wait_for_url(REQUEST_PATH)
    match = REQUEST_PATH.search(page.url)
    assert match, page.url
    return match.group(1)


def test_customer_sees_the_24_hour_consequence_and_chooses_an_alternative(
    sign_in: Callable[..., Any], shot: Callable[[Any, str], Any]
) -> None:
    page = sign_in("alice@acme.example", start="/requests/new")
    expect(page).to_have_url(re.compile(r"/requests/new$"))  # signed in and sent back
    shot(page, "01-request-form")

    fill_full_admin_request(page, "asap")
    page.get_by_role("button", name="Send and see the answer").click()
    error = page.locator("#justification-error-1")
    expect(error).to_be_visible()
    expect(error).to_contain_text("does not tell the MSP why")
    expect(page.get_by_label("In your own words")).to_have_value(
        "install the new ERP client on the application servers")
    expect(page.get_by_label("Full administrator")).to_be_checked()
    shot(page, "02-request-form-refused-justification")

    page.get_by_label("Why is it needed?").fill("the vendor's installer needs administrator rights")
    page.get_by_role("button", name="Send and see the answer").click()
    page.wait_for_url(REQUEST_PATH)
    downtime = page.locator("#consequence-reprovisioning_downtime")
    expect(downtime).to_contain_text("24 hours")
    expect(downtime.locator(".figures")).to_contain_text("Downtime24 hours")
    expect(page.locator("#consequence-sla_budget")).to_contain_text("SLA budget left")
    alternatives = page.locator(".alternative")
    assert alternatives.count() >= 2
    for i in range(alternatives.count()):
        expect(alternatives.nth(i).locator(".figures")).to_contain_text("Downtimenone")
    expect(alternatives.first).to_contain_text("Why it ranks here")
    shot(page, "03-answer-consequences-and-alternatives")

    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the answer page scrolls sideways on a phone ({width} px)"
    shot(page, "04-answer-phone-390px")
    page.set_viewport_size({"width": 1280, "height": 900})

    first = alternatives.first
    title = first.locator("h3").inner_text()
    first.get_by_role("button", name=f"Choose this instead: {title}").click()
    expect(page.locator(".flash--success")).to_contain_text(f"You chose “{title}” instead")
    expect(page.locator(".status").first).to_have_text("Replaced by an alternative")
    expect(page.get_by_role("button", name=re.compile("Choose this instead"))).to_have_count(0)
    shot(page, "05-answer-after-choosing-an-alternative")


def test_keyboard_users_see_where_the_focus_is(
    sign_in: Callable[..., Any], shot: Callable[[Any, str], Any]
) -> None:
    page = sign_in("alice@acme.example", start="/requests/new")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "field-environment":
            break
    expect(page.get_by_label("Environment")).to_be_focused()
    outline = page.evaluate(
        "getComputedStyle(document.activeElement).outlineStyle + ' ' + "
        "getComputedStyle(document.activeElement).outlineWidth")
    assert outline.startswith("solid") and not outline.endswith(" 0px"), outline
    shot(page, "06-keyboard-focus")


def test_an_approver_approves_a_request_that_needs_approval(
    sign_in: Callable[..., Any], shot: Callable[[Any, str], Any]
) -> None:
    customer = sign_in("alice@acme.example")
    request_id = submit_full_admin(customer)
    expect(customer.locator(".status").first).to_have_text("Waiting for an MSP approver")

    approver = sign_in("ann@msp.example")
    expect(approver).to_have_url(re.compile(r"/console$"))
    row_link = approver.get_by_role("link", name=request_id.split("-")[0])
    expect(row_link).to_be_visible()
    # At 1280 px the queue's table fits: no column (the requester last) scrolls out of sight.
    wrap = approver.locator(".table-wrap").first
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth"), "the queue table scrolls"
    expect(approver.get_by_role("cell", name="alice@acme.example").first).to_be_in_viewport()
    nav_rows = approver.evaluate(
        "new Set([...document.querySelectorAll('.site-nav li')].map(li => li.offsetTop)).size")
    assert nav_rows == 1, "the console's nav wraps onto a second line"
    shot(approver, "07-console-queue")
    row_link.click()
    expect(approver.get_by_role("heading", name="Reasons trace")).to_be_visible()
    expect(approver.locator("table.trace")).to_contain_text(
        "gatekeeper.rules.reprovisioning.consequences")
    shot(approver, "08-console-request-detail")

    approver.get_by_label("Duration in hours").fill("4")
    approver.get_by_label("Note").fill("install window agreed by phone")
    approver.get_by_role("button", name="Approve").click()
    # Gold: approved, but access starts only once the customer accepts the 24 h of downtime
    expect(approver.locator(".flash--success")).to_have_text(
        "Approved. Access starts once the customer accepts the consequences.")
    expect(approver.locator("#waiting-for")).to_have_text(
        "the customer to accept the consequences")
    shot(approver, "09-console-after-approval")

    customer.reload()
    expect(customer.locator("#waiting-for")).to_contain_text(
        "An MSP approver agreed. Access starts only when you accept the consequences below.")
    for box in customer.locator("#accept input[type=checkbox]").all():
        box.check()
    customer.locator("#accept button[type=submit]").click()
    expect(customer.locator(".status").first).to_have_text("Access granted")
    expect(customer.get_by_text("for 4 hours")).to_be_visible()

    approver.goto("/console/customers/acme")
    expect(approver.get_by_role("heading", name="Acme Retail B.V.")).to_be_visible()
    shot(approver, "10-console-customer-view")


def test_a_customer_cannot_open_another_customers_request(
    sign_in: Callable[..., Any], shot: Callable[[Any, str], Any]
) -> None:
    carol = sign_in("carol@globex.example")
    carol.goto("/requests/new")
    carol.get_by_label("Environment").select_option("globex/production")
    carol.get_by_label("What do you need to accomplish?").select_option("data_export")
    carol.get_by_label("In your own words").fill("export customer addresses for a CRM migration")
    carol.get_by_label("Data export").check()
    carol.get_by_label("For how long? (hours)").fill("4")
    carol.get_by_label("Why is it needed?").fill("CRM migration project")
    carol.get_by_role("button", name="Send and see the answer").click()
    carol.wait_for_url(REQUEST_PATH)
    globex_url = carol.url
    shot(carol, "11-globex-data-export-answer")

    alice = sign_in("alice@acme.example")
    response = alice.goto(globex_url)
    assert response is not None and response.status == 404
    expect(alice.get_by_role("heading", name="Request not found")).to_be_visible()
    expect(alice.get_by_text("globex", exact=False)).to_have_count(0)
    alice.goto("/requests")
    globex_path = globex_url.removeprefix(alice.url.split("/requests")[0])
    expect(alice.locator(f'a[href="{globex_path}"]')).to_have_count(0)
    shot(alice, "12-other-customers-request-not-found")


def test_no_page_breaks_the_content_security_policy(
    sign_in: Callable[..., Any],
) -> None:
    """Chromium reports every blocked inline style or script; the pages cause none."""
    violations: list[str] = []

    def watch(page: Any) -> Any:
        page.on("console", lambda message: violations.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text else None)
        return page

    page = watch(sign_in("alice@acme.example"))
    request_id = submit_full_admin(page)
    for path in ("/requests", f"/requests/{request_id}", "/requests/new"):
        page.goto(path)
        page.wait_for_load_state()
    approver = watch(sign_in("ann@msp.example"))
    for path in ("/console", f"/console/requests/{request_id}", "/console/customers",
                 "/console/customers/acme"):
        approver.goto(path)
        approver.wait_for_load_state()
    header = approver.context.request.get("/console").headers["content-security-policy"]
    assert "frame-ancestors 'none'" in header
    assert violations == []
