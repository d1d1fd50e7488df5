"""The report pages, the PDF and ``gatekeeper report``, on a month built through the API.

The PDF is rendered by WeasyPrint and checked as a reader would: poppler's ``pdftoppm``
draws page one to an image, which must not be blank and must carry the charts' colours, and
``pdftotext`` finds page one's headings and figures on it. The CLI runs as a subprocess.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from gatekeeper.app import create_app
from gatekeeper.bootstrap import services
from gatekeeper.ledger import Database, upgrade
from tests.cli_helpers import run_cli
from tests.conftest import POLICIES
from tests.report_fixtures import (
    ADMIN,
    ALICE,
    APPROVER,
    ENGINEER,
    GLOBEX,
    Month,
    at,
    build_month,
    give_feedback,
)
from tests.test_access_requests_api import _as_principal

PAGE = "/reports/acme/2026-11"


@pytest.fixture
def month_app(tmp_path: Path) -> Iterator[tuple[Flask, FlaskClient, Month, str]]:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    db = Database(url)
    upgrade(db)
    db.dispose()
    app = create_app({"TESTING": True, "POLICIES": str(POLICIES), "DATABASE_URL": url,
                      "INSTANCE_PATH": str(tmp_path / "instance"), "AUTH": "off",
                      "WTF_CSRF_ENABLED": False})
    app.before_request(_as_principal)
    client = app.test_client()
    month = build_month(app, client)
    give_feedback(app, client, month)
    at(app, "2026-12-07T10:00:00Z")
    yield app, client, month, url
    services(app).ledger.close()


def test_the_page_shows_each_chart_with_a_title_a_description_and_its_figures(
        month_app: tuple[Flask, FlaskClient, Month, str]) -> None:
    _, client, month, _ = month_app
    response = client.get(PAGE, headers=ALICE)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script" not in html
    charts = re.findall(r'<svg [^>]*role="img" aria-labelledby="([^" ]+) ([^"]+)"', html)
    # requests by answer, SLA minutes of production, approver answers, the six-month trend
    assert len(charts) == 4
    for title_id, desc_id in charts:
        assert f'<title id="{title_id}">' in html and f'<desc id="{desc_id}">' in html
    assert html.count('<figure class="report-chart">') == 4
    assert html.count("report-table--figures") == 4  # a table of the figures beside each
    assert "Used 1440 of a budget of 43 minutes. That is over the budget." in html
    assert "Needed an approver: 3" in html  # the chart's description says its figures
    # the security items in the customer's order, each linked to its request
    order = [html.index(f"/requests/{month.ids[k]}") for k in ("glass", "oncall", "full")]
    assert order == sorted(order)
    assert "I needed it fixed now." in html
    assert client.get(PAGE, headers=GLOBEX).status_code == 404
    assert client.get("/reports/acme/2027-01", headers=ALICE).status_code == 422
    empty = client.get("/reports/acme/2026-09", headers=ALICE).get_data(as_text=True)
    assert "There were no requests in September 2026." in empty


def test_the_pdf_first_page_is_drawn_and_says_the_figures(
        month_app: tuple[Flask, FlaskClient, Month, str], tmp_path: Path) -> None:
    if not (shutil.which("pdftoppm") and shutil.which("pdftotext")):
        pytest.fail("poppler-utils (pdftoppm, pdftotext) is missing: .ci/run installs it")
    _, client, _, _ = month_app
    response = client.get(f"{PAGE}/pdf", headers=ALICE)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.data)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "page")], check=True, timeout=60)
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")
    raw = image.tobytes()
    pixels = [tuple(raw[i:i + 3]) for i in range(0, len(raw), 3)]
    inked = sum(1 for p in pixels if sum(p) < 600)
    assert inked / len(pixels) > 0.03, "page one is (nearly) blank"
    # the charts' fills are drawn: the SLA bar over budget (red) and the "yes" bar (green)
    assert any(abs(r - 0xA3) < 12 and g < 40 and b < 45 for r, g, b in pixels)
    assert any(r < 70 and 0x6D < g < 0x8D and b < 90 for r, g, b in pixels)
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
                          check=True, capture_output=True, text=True, timeout=60).stdout
    for words in ("November 2026", "At a glance", "There were 7 requests", "Security items",
                  "1440 of 43", "67%"):
        assert words in text, words


def test_the_msp_overview_puts_the_worst_first_and_names_the_rules_that_hurt(
        month_app: tuple[Flask, FlaskClient, Month, str]) -> None:
    _, client, _, _ = month_app
    for who in (ALICE, APPROVER):
        assert client.get("/reports/overview/2026-11", headers=who).status_code == 403
    html = client.get("/reports/overview/2026-11", headers=ENGINEER).get_data(as_text=True)
    # Acme rated 67 % helped; nobody else rated anything (unknown sorts after any score)
    names = re.findall(r'<th scope="row"><a href="/reports/(\w+)/2026-11">', html)
    assert names[0] == "acme" and set(names) == {"acme", "bakkerij_jansen", "globex"}
    # full admin's re-provisioning and SLA consequences stood behind three needs_approval
    # answers; Globex's export and Acme's break-glass add data protection's
    rules = re.findall(r"<tr><th scope=\"row\"><code>([\w.]+)</code></th><td>(\d+)</td>"
                       r"<td>(\d+)</td>", html)
    assert ("gatekeeper.rules.reprovisioning.consequences", "3", "0") in rules
    assert rules[0] == ("gatekeeper.rules.data_protection.consequences", "4", "1")
    by_requests = client.get("/reports/overview/2026-11?sort=requests", headers=ADMIN)
    names = re.findall(r'<a href="/reports/(\w+)/2026-11">', by_requests.get_data(as_text=True))
    assert names[:2] == ["acme", "globex"]


def test_one_click_feedback_on_the_request_page(
        month_app: tuple[Flask, FlaskClient, Month, str]) -> None:
    app, client, month, _ = month_app
    page = f"/requests/{month.ids['oncall']}"
    oncall = {"X-Test-Principal": "oncall@msp.example|engineer|"}
    assert 'id="feedback-title"' in client.get(page, headers=oncall).get_data(as_text=True)
    # someone who may see the request but did not ask it is told so; nothing is recorded
    at(app, "2026-11-18T03:00:00Z")
    refused = client.post(f"{page}/feedback", data={"verdict": "no"}, headers=ENGINEER,
                          follow_redirects=True)
    assert "who asked, can rate this answer" in refused.get_data(as_text=True)
    assert 'id="feedback-title"' not in refused.get_data(as_text=True)
    done = client.post(f"{page}/feedback", data={"verdict": "partly", "comment": "slow"},
                       headers=oncall, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "Thank you. We noted how this answer worked for you." in text
    assert "You said: it helped, but you did not get all you needed." in text
    assert client.post(f"{page}/feedback", data={"verdict": "no"},
                       headers=GLOBEX).status_code == 404


def test_the_cli_writes_the_report_as_json_html_and_pdf(
        month_app: tuple[Flask, FlaskClient, Month, str], tmp_path: Path) -> None:
    _, client, _, url = month_app
    api = client.get("/v1/reports/acme?month=2026-11", headers=ALICE).get_json()
    common = ("report", "--customer", "acme", "--month", "2026-11", "--database-url", url)
    shown = run_cli(tmp_path, *common, "--format", "json")
    assert shown.returncode == 0, shown.stderr
    doc = json.loads(shown.stdout)
    for key in ("outcomes", "downtime_avoided", "sla", "security", "feedback", "trend"):
        assert doc[key] == api[key], key
    html = run_cli(tmp_path, *common, "--format", "html", "--out", str(tmp_path / "r.html"))
    assert html.returncode == 0, html.stderr
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<style>" in page and 'role="img"' in page
    pdf = run_cli(tmp_path, *common, "--format", "pdf", "--out", str(tmp_path / "r.pdf"))
    assert pdf.returncode == 0, pdf.stderr
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-")
    future = run_cli(tmp_path, "report", "--customer", "acme", "--month", "2099-01",
                     "--database-url", url)
    assert future.returncode == 2
    assert "report: month: 2099-01 is in the future" in future.stderr
    assert "Traceback" not in future.stderr
    unknown = run_cli(tmp_path, "report", "--customer", "nobody", "--month", "2026-11",
                      "--database-url", url)
    assert unknown.returncode == 2 and "no customer 'nobody'" in unknown.stderr
