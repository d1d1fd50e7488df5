"""Shared fixtures in the Flask tutorial's style: ``app``, ``client``, ``runner``."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from gatekeeper.app import create_app
from gatekeeper.bootstrap import services
from tests.ledger_fixtures import db_url, ledger, pg_url, sqlite_url  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
EXAMPLES = ROOT / "examples" / "requests"


def example_files() -> list[Path]:
    return sorted(EXAMPLES.glob("*.json"))


def load_example(name: str) -> dict[str, Any]:
    """An example file by (part of) its name, e.g. ``full_admin``."""
    matches = [p for p in example_files() if name in p.stem]
    assert matches, f"no example matching {name!r} in {EXAMPLES}"
    return json.loads(matches[0].read_text())


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "POLICIES": str(POLICIES),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'gatekeeper.db'}",
        }
    )
    yield app


def issue_token(app: Flask, role: str = "engineer", customer: str | None = None,
                name: str | None = None) -> str:
    """A bearer token of ``role`` created in ``app``'s database."""
    name = name or f"test-{role}-{customer or 'msp'}-{uuid.uuid4().hex[:8]}"
    return services(app).identity.create_token(name, role, customer).token


def bearer(app: Flask, role: str = "engineer", customer: str | None = None) -> dict[str, str]:
    """Authorization headers of a fresh token of ``role`` (and ``customer``)."""
    return {"Authorization": f"Bearer {issue_token(app, role, customer)}"}


def authed_client(app: Flask, role: str = "engineer", customer: str | None = None
                  ) -> FlaskClient:
    """A test client that sends a bearer token of ``role`` with every request."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {issue_token(app, role, customer)}"
    return client


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Sends an engineer's bearer token unless a request sets its own Authorization."""
    return authed_client(app)


@pytest.fixture
def anonymous(app: Flask) -> FlaskClient:
    """A test client without credentials."""
    return app.test_client()


@pytest.fixture
def auth_headers(app: Flask) -> Callable[..., dict[str, str]]:
    """``auth_headers(role, org)``: Authorization headers of a token, one per role and org."""
    made: dict[tuple[str, str | None], dict[str, str]] = {}

    def make(role: str = "engineer", org: str | None = None) -> dict[str, str]:
        if (role, org) not in made:
            made[role, org] = bearer(app, role, org)
        return made[role, org]

    return make


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
