"""Alternatives are ranked for the customer who asks (DESIGN principle 4, issue 16 item 7).

Acme prefers speed and to delegate; Globex prefers completeness and detail. For every purpose
and requested access level, both customers' rankings follow their own priority, and wherever
the alternatives trade speed against completeness the two orders differ. Each `why` names
the criterion that set the alternative's place.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gatekeeper.domain import Principal
from gatekeeper.domain.request import parse_timestamp
from gatekeeper.logging_setup import configure_logging
from gatekeeper.service.decisions import DecisionService
from gatekeeper.service.policy_store import PolicyStore

POLICIES = Path(__file__).resolve().parent.parent / "policies"
ENGINEER = Principal("eng@msp.example", "engineer")
NOW = "2026-11-23T15:00:00Z"
configure_logging(False, "WARNING")


@pytest.fixture(scope="module")
def decisions() -> DecisionService:
    store = PolicyStore(POLICIES, "regorus")
    store.load()
    return DecisionService(store)


def ranked(svc: DecisionService, customer: str, access: str, purpose: str) -> list[dict]:
    body = {"customer": customer, "environment": "production", "access": access,
            "purpose": purpose, "need": "get it done", "systems": [], "start": NOW,
            "duration_hours": 2, "justification": "ticket work", "urgency": "normal"}
    decision = svc.decide(body, ENGINEER, now=parse_timestamp(NOW))[1]
    return [a.to_dict() for a in decision.alternatives]


def trade_off(alts: list[dict]) -> bool:
    """Some pair where one is faster and the other more complete."""
    return any(a["lead_time_hours"] < b["lead_time_hours"] and a["completeness"] < b["completeness"]
               for a in alts for b in alts)


def test_opposite_preferences_get_different_orders_where_the_alternatives_trade_off(
        decisions: DecisionService) -> None:
    store = PolicyStore(POLICIES, "regorus")
    store.load()
    catalog = store.current.bundle.data["catalog"]
    compared = 0
    for purpose in sorted(catalog["purposes"]):
        for access in sorted(catalog["access_levels"]):
            acme = ranked(decisions, "acme", access, purpose)
            globex = ranked(decisions, "globex", access, purpose)
            assert [a["rank"] for a in acme] == list(range(1, len(acme) + 1))
            leads = [a["lead_time_hours"] for a in acme]
            assert leads == sorted(leads), (purpose, access, acme)
            completeness = [a["completeness"] for a in globex]
            assert completeness == sorted(completeness, reverse=True), (purpose, access, globex)
            if sorted(a["id"] for a in acme) == sorted(a["id"] for a in globex) and trade_off(acme):
                compared += 1
                assert [a["id"] for a in acme] != [a["id"] for a in globex], (purpose, access)
    assert compared >= 5


def test_why_names_the_criterion_that_set_the_place(decisions: DecisionService) -> None:
    acme = ranked(decisions, "acme", "full_admin", "software_install")
    assert [(a["id"], a["why"]) for a in acme] == [
        ("software_portal", "Best for you: it is the fastest. It can be in place at once."),
        ("scoped_admin_named_servers",
         "Rank 2: it is slower than rank 1. It can be in place in 1 hour."),
        ("supervised_session", "Rank 3: it is slower than rank 2. It can be in place in 2 hours."),
        ("msp_standard_change",
         "Rank 4: it is slower than rank 3. It can be in place in 8 hours."),
    ]
    globex = ranked(decisions, "globex", "full_admin", "software_install")
    assert globex[0]["id"] == "supervised_session"
    assert globex[0]["why"].startswith("Best for you: it covers as much of your need")
    assert "score" not in globex[0]
