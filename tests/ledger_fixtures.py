"""Ledger fixtures: a fresh database on SQLite and on PostgreSQL, and a policy-free decider.

PostgreSQL tests read GATEKEEPER_TEST_DATABASE_URL and skip when it is unset. Each test gets
its own schema (search_path), dropped afterwards, so runs can repeat and overlap.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from gatekeeper.domain import AccessRequest, Decision, PolicyRef, Principal
from gatekeeper.ledger import SqlLedger, open_ledger

PG_ENV = "GATEKEEPER_TEST_DATABASE_URL"
PG_SKIP = f"{PG_ENV} is not set: PostgreSQL ledger tests skipped (.ci/run sets it)"
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def _render(url: Any) -> str:
    return str(url.render_as_string(hide_password=False))


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped after the test."""
    with fresh_schema() as url:
        yield url


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped at the end (skips the
    test without GATEKEEPER_TEST_DATABASE_URL)."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(PG_SKIP)
    schema = f"gk_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield _render(url)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database on each backend (not migrated)."""
    name = "pg_url" if request.param == "postgresql" else "sqlite_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def ledger(db_url: str) -> Iterator[SqlLedger]:
    """A migrated ledger on each backend."""
    opened = open_ledger(db_url, auto_upgrade=True)
    yield opened
    opened.close()


REQUESTER = Principal("alice@acme.example", "customer", "acme", "Alice")
APPROVER = Principal("bob@msp.example", "approver", None, "Bob")
APPROVER_2 = Principal("carol@msp.example", "approver", None, "Carol")
ENGINEER = Principal("dave@msp.example", "engineer", None, "Dave")
OTHER_CUSTOMER = Principal("eve@globex.example", "customer", "globex", "Eve")

_CONSEQUENCES = [
    {"id": "reprovisioning_downtime", "kind": "downtime", "severity": "critical",
     "summary": "24 h downtime", "rule": "test.consequences", "downtime_hours": 24},
    {"id": "sla_budget", "kind": "sla", "severity": "high", "summary": "SLA exceeded",
     "rule": "test.consequences"},
]
_NO_APPROVAL = {"required": False, "roles": [], "count": 0}
_ALTERNATIVES = [
    {"id": "software_portal", "title": "Software portal", "summary": "deployed for you",
     "lead_time_hours": 0, "downtime_hours": 0, "rank": 1, "why": "fast",
     "rule": "test.alternatives", "access": "none", "approval": _NO_APPROVAL},
    {"id": "msp_standard_change", "title": "Standard change", "summary": "MSP does it",
     "lead_time_hours": 8, "downtime_hours": 0, "rank": 2, "why": "complete",
     "rule": "test.alternatives", "access": "none", "approval": _NO_APPROVAL},
    {"id": "scoped_admin_named_servers", "title": "Scoped admin", "summary": "named servers",
     "lead_time_hours": 1, "downtime_hours": 0, "rank": 3, "why": "hands-on",
     "rule": "test.alternatives", "access": "scoped_admin",
     "approval": {"required": True, "roles": ["approver"], "count": 1}},
    # a policy answer from before alternatives carried `approval`: the ledger fails safe
    {"id": "legacy_alternative", "title": "Legacy", "summary": "no approval given",
     "lead_time_hours": 0, "downtime_hours": 0, "rank": 4, "why": "old policy",
     "rule": "test.alternatives", "access": "none", "needs_msp_staff": False},
]
# access level -> (outcome, approval) of the canned decision
_CANNED: dict[str, tuple[str, dict[str, Any]]] = {
    "read_only": ("allow", {"required": False, "roles": [], "count": 0}),
    "full_admin": ("allow_with_consequences", {"required": False, "roles": [], "count": 0}),
    "break_glass": ("allow_with_consequences",
                    {"required": True, "roles": ["approver"], "count": 1}),
    "scoped_admin": ("needs_approval", {"required": True, "roles": ["approver"], "count": 2}),
    "data_export": ("deny", {"required": False, "roles": [], "count": 0}),
}


class CannedDecisions:
    """Decides by access level without a policy engine, so lifecycle tests need no bundle."""

    def __init__(self) -> None:
        self.calls: list[str | None] = []
        self.follow_ups: list[AccessRequest] = []

    def decide(
        self, body: Any, principal: Principal, now: datetime | None = None,
        request_id: str | None = None,
    ) -> tuple[AccessRequest, Decision]:
        request = AccessRequest.from_mapping(body)
        self.calls.append(request_id)
        outcome, approval = _CANNED[request.access]
        raw = {
            "outcome": outcome,
            "summary": f"{request.access}: {outcome}",
            "consequences": _CONSEQUENCES if outcome != "allow" else [],
            "alternatives": _ALTERNATIVES if outcome != "allow" else [],
            "approval": approval,
        }
        return request, Decision.from_policy(raw, str(uuid.uuid4()), PolicyRef("rev-1", "fake"))

    def decide_request(
        self, request: AccessRequest, principal: Principal, now: datetime | None = None,
        request_id: str | None = None,
    ) -> Decision:
        """A follow-up decided as the example policy would: the alternative's approval block
        (one approver when it has none), its conditions, its next step; no consequences."""
        self.calls.append(request_id)
        self.follow_ups.append(request)
        alternative = next(a for a in _ALTERNATIVES if a["id"] == request.alternative)
        approval = alternative.get("approval") or {"required": True, "roles": ["approver"],
                                                   "count": 1}
        outcome = "needs_approval" if approval["required"] else "allow"
        raw = {
            "outcome": outcome,
            "summary": f"You chose {alternative['title']}.",
            "conditions": [{"id": "alternative_terms", "summary": "no downtime",
                            "downtime_hours": alternative["downtime_hours"],
                            "rule": "test.follow_up"}],
            "next_steps": [{"id": "next_step", "summary": f"go to {alternative['id']}",
                            "rule": "test.follow_up"}],
            "alternatives": [a for a in _ALTERNATIVES if a["id"] != request.alternative],
            "approval": approval,
        }
        return Decision.from_policy(raw, str(uuid.uuid4()), PolicyRef("rev-2", "fake"))


def request_body(access: str = "full_admin", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer": "acme",
        "environment": "production",
        "access": access,
        "purpose": "software_install",
        "need": "install the ERP client",
        "justification": "new ERP rollout",
        "duration_hours": 8,
        "systems": ["app-01", "app-02"],
    }
    body.update(overrides)
    return body
