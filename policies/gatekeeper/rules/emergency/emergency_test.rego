package gatekeeper.rules.emergency_test

import rego.v1

import data.gatekeeper.rules.emergency

_input(overrides, identity) := {
	"request": object.union(
		{
			"customer": "acme", "environment": "production", "access": "scoped_admin",
			"purpose": "configuration_change", "need": "n", "systems": ["web-01"],
			"start": "2026-12-22T10:00:00Z", "duration_hours": 2, "justification": "j",
			"urgency": "emergency", "ticket": "INC-1",
		},
		overrides,
	),
	"identity": identity,
	"now": "2026-12-22T10:00:00Z",
}

_pieter := {"subject": "pieter.bakker@acme.example", "role": "customer", "organisation": "acme"}

_alice := {"subject": "alice@acme.example", "role": "customer", "organisation": "acme"}

_engineer := {"subject": "eng@msp.example", "role": "engineer", "organisation": null}

_freeze_reason := "Emergency on Production web shop. By: pieter.bakker@acme.example. Ticket: INC-1. It skips the change freeze \"Year-end closing\" and its exception. We will review it."

test_an_honoured_emergency_in_a_freeze_names_what_it_skips if {
	emergency.consequences == {{
		"id": "emergency_skips_checks",
		"kind": "emergency",
		"severity": "high",
		"title": "emergency skips normal checks",
		"summary": "You declared an emergency. So this access skips: the change freeze \"Year-end closing\" and its exception. We tell MSP on-call desk and Sanne de Vries (your security contact) now. We must review all that is done within 24 hours after access ends.",
		"skipped": ["change_freeze:year_end_2026"],
		"review_due": "2026-12-23T12:00:00Z",
		"rule": "gatekeeper.rules.emergency.consequences",
	}} with input as _input({}, _pieter)
	emergency.outcomes == {{"outcome": "allow_with_consequences", "rule": "gatekeeper.rules.emergency.outcomes"}} with input as _input({}, _pieter)
	emergency.reasons == {{
		"rule": "gatekeeper.rules.emergency.consequences",
		"code": "GK-EMG-001",
		"message": "Emergency declared by pieter.bakker@acme.example is honoured and skips change_freeze:year_end_2026; after-review due 2026-12-23T12:00:00Z.",
	}} with input as _input({}, _pieter)
}

test_an_honoured_emergency_is_reviewed_afterwards if {
	emergency.conditions == {{
		"id": "emergency_after_review",
		"summary": "We must review all that is done in this emergency within 24 hours after access ends. The review checks each step that was skipped.",
		"review_due": "2026-12-23T12:00:00Z",
		"mandatory": true,
		"rule": "gatekeeper.rules.emergency.conditions",
	}} with input as _input({}, _pieter)
}

test_an_honoured_emergency_tells_on_call_and_security if {
	emergency.escalations == {
		{
			"id": "msp_on_call",
			"contact": {"role": "msp_on_call", "name": "MSP on-call desk", "email": "oncall@msp.example"},
			"reason": _freeze_reason,
			"rule": "gatekeeper.rules.emergency.escalations",
		},
		{
			"id": "security_contact",
			"contact": {"role": "security", "name": "Sanne de Vries", "email": "security@acme.example"},
			"reason": _freeze_reason,
			"rule": "gatekeeper.rules.emergency.escalations",
		},
	} with input as _input({}, _pieter)
}

test_an_emergency_by_someone_who_may_not_declare_one_gets_a_note if {
	emergency.consequences == {{
		"id": "emergency_not_accepted",
		"kind": "contact",
		"severity": "medium",
		"title": "your emergency is not accepted",
		"summary": "You marked this as an emergency. But for Acme Retail B.V., only these can declare one: MSP engineers, MSP administrators or pieter.bakker@acme.example. So the normal rules apply. If it cannot wait, call MSP on-call desk (oncall@msp.example).",
		"would_skip": ["change_freeze:year_end_2026"],
		"contact": {"role": "msp_on_call", "name": "MSP on-call desk", "email": "oncall@msp.example"},
		"rule": "gatekeeper.rules.emergency.consequences",
	}} with input as _input({}, _alice)
	emergency.conditions == set() with input as _input({}, _alice)
	emergency.escalations == set() with input as _input({}, _alice)
	emergency.outcomes == set() with input as _input({}, _alice)
	emergency.reasons == {{
		"rule": "gatekeeper.rules.emergency.consequences",
		"code": "GK-EMG-005",
		"message": "Emergency declared by alice@acme.example is not honoured: only MSP engineers, MSP administrators or pieter.bakker@acme.example may declare one for acme. It would have skipped change_freeze:year_end_2026.",
	}} with input as _input({}, _alice)
}

test_who_may_declare_is_customer_data if {
	count(emergency.conditions) == 1 with input as _input({}, _alice)
		with data.customers.acme.emergency.who_may_declare.roles as ["customer"]
}

test_an_emergency_outside_support_hours_names_the_skipped_wait if {
	inp := _input({"customer": "bakkerij_jansen", "systems": ["shop-01"], "start": "2026-11-28T10:00:00Z"}, _engineer)
	[c.skipped | some c in emergency.consequences] == [["support_hours"]] with input as inp
	{e.id | some e in emergency.escalations} == {"msp_on_call", "security_contact"} with input as inp
}

test_an_emergency_that_skips_nothing_adds_nothing if {
	inp := _input({"access": "read_only", "purpose": "troubleshooting"}, _alice)
	emergency.consequences == set() with input as inp
	emergency.reasons == set() with input as inp
}

test_no_emergency_no_answer if {
	emergency.consequences == set() with input as _input({"urgency": "high"}, _pieter)
}

test_break_glass_keeps_its_own_review_and_security_escalation if {
	inp := _input({"access": "break_glass", "purpose": "troubleshooting", "start": "2026-11-28T02:30:00Z"}, _engineer)
	[c.skipped | some c in emergency.consequences] == [["change_freeze:peak_season_2026", "customer_data_approval", "break_glass_approval"]] with input as inp
	emergency.conditions == set() with input as inp
	[e.id | some e in emergency.escalations] == ["msp_on_call"] with input as inp
}

test_what_an_emergency_would_skip_is_only_gathered_for_one if {
	# Break-glass skips its approval when declared an emergency. The kinds are a function,
	# called only once an emergency is declared: no other request builds them, and a request
	# that declares none announces nothing.
	inp := _input({"access": "break_glass"}, _engineer)
	"d_break_glass" in emergency._would_skip(inp.request) with input as inp
	emergency.announced == set() with input as _input({"access": "break_glass", "urgency": "high"}, _engineer)
}
