"""Shared fixtures in the Flask tutorial's style: ``app``, ``client``, ``runner``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from gatekeeper.app import create_app
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


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
