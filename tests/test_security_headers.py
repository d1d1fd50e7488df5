"""Security headers on pages, the JSON door and errors: CSP, framing, sniffing, caching."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gatekeeper.server.headers import DATA_POLICY, PAGE_POLICY

pytest.register_assert_rewrite("tests.web_fixtures")
from tests.web_fixtures import ALICE, ANN, Browser, submit  # noqa: E402

pytest_plugins = ["tests.web_fixtures"]  # the web_app and browser fixtures

BASE = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin"}


def assert_base(response: object, policy: str) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    for name, value in BASE.items():
        assert headers.get(name) == value, (name, dict(headers))
    assert headers.get("Content-Security-Policy") == policy
    assert "frame-ancestors 'none'" in policy


def test_public_pages_and_health_carry_the_headers_but_may_be_cached(anonymous: FlaskClient
                                                                      ) -> None:
    page = anonymous.get("/sign-in")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert_base(page, PAGE_POLICY)
    assert "no-store" not in page.headers.get("Cache-Control", "")
    health = anonymous.get("/healthz")
    assert_base(health, DATA_POLICY)


def test_errors_of_the_json_door_carry_the_headers(anonymous: FlaskClient) -> None:
    refused = anonymous.get("/v1/access-requests")
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert_base(refused, DATA_POLICY)


def test_answers_to_a_signed_in_caller_are_never_stored(client: FlaskClient, app: Flask
                                                        ) -> None:
    answer = client.get("/v1/catalog")
    assert answer.status_code == 200
    assert_base(answer, DATA_POLICY)
    assert answer.headers["Cache-Control"] == "no-store"
    assert "Authorization" in answer.headers["Vary"]


def test_signed_in_pages_are_never_stored_and_allow_no_inline_code(browser: Browser) -> None:
    request_id = submit(browser, ALICE, "full_admin_software_install")
    for who, url in ((ALICE, "/requests/new"), (ALICE, f"/requests/{request_id}"),
                     (ANN, "/console"), (ANN, f"/console/requests/{request_id}")):
        page = browser.as_(who).get(url)
        assert page.status_code == 200, url
        assert_base(page, PAGE_POLICY)
        assert page.headers["Cache-Control"] == "no-store", url
        html = page.get_data(as_text=True)
        assert "style=" not in html and "<script" not in html and "<style" not in html, url
