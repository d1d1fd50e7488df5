"""Fixtures of the web tests: an app on a fixed clock, and signing in as someone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from gatekeeper.app import create_app
from gatekeeper.bootstrap import services
from gatekeeper.domain import Principal
from gatekeeper.server.identifier import SESSION_KEY
from tests.conftest import POLICIES, load_example

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday, inside every support window

ALICE = Principal("alice@acme.example", "customer", "acme", "Alice Acme")
BOB = Principal("bob@acme.example", "customer", "acme", "Bob Acme")
CAROL = Principal("carol@globex.example", "customer", "globex", "Carol Globex")
ANN = Principal("ann@msp.example", "approver", None, "Ann Approver")
ED = Principal("ed@msp.example", "engineer", None, "Ed Engineer")
ADA = Principal("ada@msp.example", "admin", None, "Ada Admin")


PASSWORD = "correct horse battery staple"


class Browser:
    """A test client signed in as one principal at a time (a real session of a real user)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.users: set[str] = set()

    def as_(self, who: Principal | None) -> Browser:
        identity = services(self.app).identity
        if who is not None and who.subject not in self.users:
            identity.create_user(who.subject, who.role, PASSWORD, customer=who.organisation,
                                 display_name=who.name)
            self.users.add(who.subject)
        with self.client.session_transaction() as session:
            session.clear()
            if who is not None:
                session[SESSION_KEY] = identity.start_session(who.subject)
        return self

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, **kw)

    def post(self, url: str, data: Any = None, **kw: Any) -> Any:
        return self.client.post(url, data=data, **kw)


@pytest.fixture
def web_app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app({
        "TESTING": True,
        "POLICIES": str(POLICIES),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.db'}",
        "WTF_CSRF_ENABLED": False,
    })
    svc = services(app)
    svc.requests.clock = lambda: NOW
    svc.decisions.clock = lambda: NOW
    svc.identity.hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)  # fast
    yield app


@pytest.fixture
def browser(web_app: Flask) -> Browser:
    return Browser(web_app)


def form_of(example: str, **changes: str) -> dict[str, Any]:
    """The new-request form filled in from an example request file."""
    body = load_example(example)["request"]
    form: dict[str, Any] = {
        "environment": f"{body['customer']}/{body['environment']}",
        "purpose": body["purpose"],
        "need": body["need"],
        "access": body["access"],
        "systems": [f"{body['customer']}/{body['environment']}/{s}" for s in body["systems"]],
        "duration_hours": str(body["duration_hours"]),
        "justification": body["justification"],
        "urgency": body["urgency"],
        "ticket": body.get("ticket") or "",
    }
    form.update(changes)
    return form


def submit(browser: Browser, who: Principal, example: str, **changes: str) -> str:
    """Submit an example through the form as ``who``; returns the new request's id."""
    response = browser.as_(who).post("/requests/new", data=form_of(example, **changes))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return str(response.headers["Location"]).rsplit("/", 1)[1]


def text(response: Any) -> str:
    """The visible text of an HTML response, whitespace collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()
