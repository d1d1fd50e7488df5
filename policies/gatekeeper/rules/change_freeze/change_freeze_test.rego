package gatekeeper.rules.change_freeze_test

import rego.v1

import data.gatekeeper.rules.change_freeze

_input(overrides) := {
	"request": object.union(
		{
			"customer": "acme", "environment": "production", "access": "scoped_admin",
			"purpose": "configuration_change", "need": "n", "systems": ["web-01"],
			"start": "2026-11-27T09:00:00Z", "duration_hours": 2, "justification": "j",
			"urgency": "normal", "ticket": "T-1",
		},
		overrides,
	),
	"identity": {"subject": "a@acme.example", "role": "customer", "organisation": "acme"},
	"now": "2026-11-27T09:00:00Z",
}

test_change_in_freeze_waits_until_it_ends if {
	change_freeze.consequences == {{
		"id": "change_freeze",
		"kind": "lead_time",
		"severity": "high",
		"title": "change freeze until Tue 1 Dec 2026, 07:00 (Amsterdam time)",
		"summary": "Production web shop has a change freeze until Tue 1 Dec 2026, 07:00 (Amsterdam time): Black Friday and Cyber Monday peak. The reason: the web shop takes a third of its yearly revenue in this week. Changes wait 93 hours, unless an approver allows an exception.",
		"freeze": "peak_season_2026",
		"lead_time_hours": 93,
		"earliest_start": "2026-12-01T06:00:00Z",
		"rule": "gatekeeper.rules.change_freeze.consequences",
	}} with input as _input({})
	change_freeze.outcomes == {{"outcome": "needs_approval", "rule": "gatekeeper.rules.change_freeze.outcomes"}} with input as _input({})
}

test_window_reaching_into_a_freeze_counts if {
	count(change_freeze.consequences) == 1 with input as _input({"start": "2026-11-25T23:00:00Z"})
}

test_after_the_freeze_nothing_waits if {
	count(change_freeze.consequences) == 0 with input as _input({"start": "2026-12-01T06:00:00Z"})
}

test_read_only_and_honoured_emergencies_are_not_held_back if {
	count(change_freeze.consequences) == 0 with input as _input({"access": "read_only", "purpose": "troubleshooting"})
	count(change_freeze.consequences) == 0 with input as object.union(_input({"urgency": "emergency"}), {"identity": {"subject": "pieter.bakker@acme.example"}})
}

test_an_emergency_declared_by_someone_who_may_not_is_held_back if {
	change_freeze.outcomes == {{"outcome": "needs_approval", "rule": "gatekeeper.rules.change_freeze.outcomes"}} with input as _input({"urgency": "emergency"})
}
