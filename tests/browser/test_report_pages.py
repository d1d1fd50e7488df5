"""The monthly report and the MSP overview in Chromium, on a month built through the API.

A ledger with Acme's November 2026 (tests/report_fixtures.py) is served by ``gatekeeper
serve``; the pages are opened signed in, checked as a reader sees them (charts drawn with
their titles, no console errors, nothing blocked by the content security policy) and saved
as screenshots in test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gatekeeper.app import create_app
from gatekeeper.bootstrap import services
from gatekeeper.ledger import Database, upgrade
from tests.browser.conftest import CHROMIUM_ARGS, PASSWORD, _cli, serving
from tests.conftest import POLICIES
from tests.report_fixtures import build_month, give_feedback
from tests.test_access_requests_api import _as_principal

USERS = (("alice@acme.example", "customer", "acme"), ("eng@msp.example", "engineer", None))


@pytest.fixture(scope="module")
def report_server(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("reports-browser")
    url = f"sqlite:///{folder / 'gatekeeper.db'}"
    db = Database(url)
    upgrade(db)
    db.dispose()
    app = create_app({"TESTING": True, "POLICIES": str(POLICIES), "DATABASE_URL": url,
                      "INSTANCE_PATH": str(folder), "AUTH": "off"})
    app.before_request(_as_principal)
    client = app.test_client()
    give_feedback(app, client, build_month(app, client))
    services(app).ledger.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKEEPER_")}
    env.update(GATEKEEPER_INSTANCE_PATH=str(folder), GATEKEEPER_DATABASE_URL=url,
               GATEKEEPER_DEV="1", GATEKEEPER_SECRET_KEY=os.urandom(24).hex(),
               GATEKEEPER_LOG_JSON="1")
    for username, role, customer in USERS:
        args = ["users", "create", username, "--role", role, "--password-stdin"]
        _cli(env, *args, *(["--customer", customer] if customer else []),
             stdin=PASSWORD + "\n")
    with serving(env, folder, "--workers", "1", "--threads", "4") as base:
        yield base


@pytest.fixture
def open_as(chromium: str, report_server: str) -> Iterator[Callable[[str, str], Any]]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        problems: list[str] = []

        def go(username: str, path: str) -> Any:
            context = browser.new_context(viewport={"width": 1280, "height": 900},
                                          base_url=report_server)
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text)
                    if m.type == "error" and "status of 404" not in m.text else None)
            page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                    if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
            page.goto(path)
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_load_state()
            if not page.url.endswith(path):
                page.goto(path)
            return page

        go.problems = problems  # type: ignore[attr-defined]
        yield go
        browser.close()
        assert problems == [], problems  # a CSP violation or a broken resource shows here


def test_the_customer_report_reads_as_a_page(open_as: Any,
                                            shot: Callable[[Any, str], Path]) -> None:
    page = open_as("alice@acme.example", "/reports/acme/2026-11")
    assert page.get_by_role("heading", name="November 2026", level=1).is_visible()
    assert page.get_by_text("There were 7 requests in November 2026.").is_visible()
    charts = page.get_by_role("img")
    assert charts.count() == 4
    for name in ("Requests by answer", "SLA minutes used: Production web shop",
                 "Approver answers against the deadline",
                 "Answers that helped, last six months (percent)"):
        chart = page.get_by_role("img", name=name)
        assert chart.is_visible(), name
        box = chart.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 60, (name, box)
    rows = page.locator("table.report-table").first.locator("tbody tr")
    assert rows.count() == 5 and "Open" in rows.nth(1).inner_text()
    assert page.get_by_role("link", name="Download as PDF").is_visible()
    shot(page, "report-customer-month")
    page.screenshot(path=str(shot(page, "report-customer-month").with_name(
        "report-customer-month-top.png")))  # the first screen, as docs/ shows it
    nav = page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports")
    assert nav.is_visible()


def test_the_msp_overview_and_the_feedback_buttons(open_as: Any,
                                                   shot: Callable[[Any, str], Path]) -> None:
    page = open_as("eng@msp.example", "/reports/overview/2026-11")
    assert page.get_by_role("heading", name="All customers, November 2026").is_visible()
    first = page.locator("table.report-table tbody tr").first
    assert "Acme Retail B.V." in first.inner_text()
    assert page.get_by_text("gatekeeper.rules.data_protection.consequences").is_visible()
    shot(page, "report-msp-overview")
    page.get_by_role("link", name="requests", exact=True).click()
    page.wait_for_load_state()
    assert "sort=requests" in page.url
