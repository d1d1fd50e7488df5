package gatekeeper.rules.break_glass_test

import rego.v1

import data.gatekeeper.rules.break_glass

_input(overrides, role) := {
	"request": object.union(
		{
			"customer": "acme", "environment": "production", "access": "break_glass",
			"purpose": "troubleshooting", "need": "n", "systems": [],
			"start": "2026-11-28T02:30:00Z", "duration_hours": 2, "justification": "j",
			"urgency": "emergency", "ticket": "INC-1",
		},
		overrides,
	),
	"identity": {"subject": "oncall@msp.example", "role": role, "organisation": null},
	"now": "2026-11-28T02:30:00Z",
}

test_emergency_is_granted_with_mandatory_review if {
	inp := _input({}, "engineer")
	break_glass.outcomes == {{"outcome": "allow_with_consequences", "rule": "gatekeeper.rules.break_glass.outcomes"}} with input as inp
	break_glass.conditions == {{
		"id": "after_review",
		"summary": "We must review every step taken. The review is due by Sun 29 Nov 2026, 05:30 (Amsterdam time).",
		"review_due": "2026-11-29T04:30:00Z",
		"mandatory": true,
		"rule": "gatekeeper.rules.break_glass.conditions",
	}} with input as inp
}

test_emergency_notifies_security_and_service_manager if {
	ids := {e.id | some e in break_glass.escalations} with input as _input({}, "engineer")
	ids == {"security_contact", "service_manager_contact"}
	some e in break_glass.escalations with input as _input({}, "engineer")
	e.id == "security_contact"
	e == {
		"id": "security_contact",
		"contact": {"role": "security", "name": "Sanne de Vries", "email": "security@acme.example"},
		"reason": "Break-glass was used on Production web shop. By: oncall@msp.example. Ticket: INC-1. We will review it.",
		"rule": "gatekeeper.rules.break_glass.escalations",
	}
}

test_without_emergency_it_needs_approval if {
	inp := _input({"urgency": "high"}, "engineer")
	break_glass.outcomes == {{"outcome": "needs_approval", "rule": "gatekeeper.rules.break_glass.outcomes"}} with input as inp
	count(break_glass.escalations) == 0 with input as inp
}

test_customer_is_denied_but_told_whom_to_contact if {
	inp := _input({}, "customer")
	break_glass.outcomes == {{"outcome": "deny", "rule": "gatekeeper.rules.break_glass.outcomes"}} with input as inp
	some c in break_glass.consequences with input as inp
	c.kind == "contact"
	c.contact == {"role": "service_manager", "name": "Pieter Bakker", "email": "pieter.bakker@acme.example"}
}

test_other_access_is_untouched if {
	inp := _input({"access": "read_only"}, "engineer")
	count(break_glass.outcomes) == 0 with input as inp
	count(break_glass.reasons) == 0 with input as inp
}
