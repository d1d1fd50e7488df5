"""Hostile and careless input through the web forms: the new-request form, the answer's
forms and sign-in always get a page with a 4xx or a success, never a 5xx or a traceback, and
a refused form records nothing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatekeeper.bootstrap import services

pytest.register_assert_rewrite("tests.web_fixtures")
from tests.web_fixtures import ALICE, ANN, Browser, form_of, submit  # noqa: E402

pytest_plugins = ["tests.web_fixtures"]  # the web_app and browser fixtures

FIELDS = ("environment", "purpose", "need", "access", "systems", "duration_hours", "start",
          "justification", "urgency", "ticket", "reason", "consequences", "alternative",
          "username", "password", "next", "show", "cursor")
# Text as a person or a script may type it: any character, NUL and odd Unicode included.
TYPED = st.text(max_size=40) | st.sampled_from(("", " ", "\x00", "a\x00b", "-1", "1e309",
                                                "9999-12-31T23:59", "0001-01-01T00:00",
                                                "../../etc/passwd", "<script>x</script>"))
FORMS = st.dictionaries(st.sampled_from(FIELDS), TYPED | st.lists(TYPED, max_size=3),
                        max_size=8)


def _no_server_error(response: Any, where: str, form: dict[str, Any]) -> None:
    assert response.status_code < 500, (where, form, response.get_data(as_text=True)[:500])
    if response.status_code >= 400:
        assert response.mimetype == "text/html", (where, response.mimetype)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(form=FORMS, mix=st.booleans())
def test_generated_forms_never_get_a_server_error(browser: Browser, form: dict[str, Any],
                                                  mix: bool) -> None:
    filled = {**form_of("full_admin_software_install"), **form} if mix else form
    before = services(browser.app).ledger.count()
    created = browser.as_(ALICE).post("/requests/new", data=filled)
    _no_server_error(created, "/requests/new", filled)
    if created.status_code != 303:
        assert services(browser.app).ledger.count() == before  # nothing half-written
    _no_server_error(browser.as_(None).post("/sign-in", data=filled), "/sign-in", filled)
    _no_server_error(browser.as_(ALICE).get("/requests", query_string=form), "/requests",
                     form)


def test_generated_answers_to_a_request_never_get_a_server_error(browser: Browser) -> None:
    request_id = submit(browser, ALICE, "full_admin_software_install")

    @settings(max_examples=30, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(form=FORMS)
    def run(form: dict[str, Any]) -> None:
        for who, action in ((ALICE, "accept"), (ALICE, "choose"), (ALICE, "withdraw"),
                            (ANN, "reject")):
            base = "/console/requests" if who is ANN else "/requests"
            response = browser.as_(who).post(f"{base}/{request_id}/{action}", data=form)
            _no_server_error(response, action, form)

    run()
