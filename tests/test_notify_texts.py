"""Every message and deadline text a person reads is plain (US grade 8 or below) and shows
times in words, never raw timestamps: each topic, each customer, each outcome."""

from __future__ import annotations

from typing import Any

from gatekeeper.engine import create_engine, load_bundle
from tests.conftest import POLICIES
from tests.test_plain_language import _problems

ESCALATION = {"id": "security_contact", "reason": "Someone asked to take data out of your "
              "production systems. An approver at the MSP must agree first.",
              "contact": {"role": "security", "name": "S", "email": "s@x.example"}, "rule": "r"}


def _input(customer: str, event: dict[str, Any], state: str) -> dict[str, Any]:
    return {
        "event": {"id": "evt", "action": "x", "from": "awaiting_approval", "at":
                  "2026-12-07T15:00:00Z", "actor": "a", "reason": "the project has no budget",
                  "level": 1, "version": 1, "since": "2026-12-07T09:00:00Z", **event},
        "request": {"id": "3f1c2a9e-0000", "customer": customer, "environment": "production",
                    "requester": "carol@x.example", "access": "full_admin",
                    "purpose": "software_install", "need": "install the new ERP client",
                    "urgency": "normal", "ticket": None, "state": state, "version": 1,
                    "grant_ends_at": "2026-12-07T23:00:00Z"},
        "decision": {"outcome": "needs_approval", "escalations": [ESCALATION],
                     "consequences": []},
    }


def test_message_and_deadline_texts_are_plain() -> None:
    bundle = load_bundle(POLICIES)
    engine = create_engine("regorus", bundle)
    texts = []
    cases = [({"type": "decided", "from": "submitted", "to": "awaiting_approval"},
              "awaiting_approval")]
    cases += [({"type": "transitioned", "to": s}, s)
              for s in ("granted", "denied", "rejected", "expired", "revoked")]
    cases += [({"type": "transitioned", "action": "extend", "from": "granted", "to": "granted"},
               "granted")]
    cases += [({"type": "grant_ending"}, "granted"), ({"type": "overdue"}, "awaiting_approval"),
              ({"type": "overdue"}, "awaiting_acceptance")]
    topics = set()
    for customer in bundle.data["customers"]:
        for event, state in cases:
            for m in engine.evaluate(_input(customer, event, state),
                                     "data.gatekeeper.notify.messages") or []:
                topics.add(m["topic"])
                texts += [("notify", f"{customer} {m['topic']}", m["subject"]),
                          ("notify", f"{customer} {m['topic']}", m["text"])]
        for state in ("awaiting_approval", "awaiting_acceptance"):
            d = engine.evaluate({"request": {"customer": customer, "state": state},
                                 "since": "2026-12-07T09:00:00Z", "now": "2026-12-07T10:00:00Z"},
                                "data.gatekeeper.deadlines.deadline")
            texts.append(("notify", f"{customer} deadline {state}", d["summary"]))
    assert topics == {"escalation", "approval_needed", "outcome", "grant_ending", "overdue"}
    problems = _problems(texts, "notify")
    assert problems == [], "\n".join(problems)
