package gatekeeper.rules.follow_up_test

import rego.v1

import data.gatekeeper.rules.follow_up

_input(overrides) := {
	"request": object.union(
		{
			"customer": "acme", "environment": "production", "access": "none",
			"alternative": "software_portal", "purpose": "software_install", "need": "n",
			"systems": [], "start": "2026-11-23T09:00:00Z", "duration_hours": 8,
			"justification": "j", "urgency": "normal", "ticket": "T-1",
		},
		overrides,
	),
	"identity": {"subject": "a@acme.example", "role": "customer", "organisation": "acme"},
	"now": "2026-11-23T09:00:00Z",
}

test_the_alternatives_approval_block_asks_for_a_sign_off if {
	inp := _input({"access": "scoped_admin", "alternative": "scoped_admin_named_servers"})
	follow_up.outcomes == {{"outcome": "needs_approval", "rule": "gatekeeper.rules.follow_up.outcomes"}} with input as inp
	follow_up.approvals == {{"roles": ["approver"], "count": 1, "rule": "gatekeeper.rules.follow_up.approvals"}} with input as inp
}

test_an_alternative_with_downtime_states_it_as_a_consequence if {
	inp := _input({"alternative": "supervised_session"})
	follow_up.consequences == {{
		"id": "alternative_downtime",
		"kind": "downtime",
		"severity": "critical",
		"title": "3 h downtime",
		"summary": "Supervised session with an MSP engineer costs about 3 hours of downtime.",
		"downtime_hours": 3,
		"tolerated_downtime_hours": 2,
		"rule": "gatekeeper.rules.follow_up.consequences",
	}} with input as inp with data.catalog.alternatives.supervised_session.downtime_hours as 3
	some c in follow_up.conditions with input as inp with data.catalog.alternatives.supervised_session.downtime_hours as 3
	c.id == "alternative_terms"
	c.summary == "It takes about 2 hours to set up, with about 3 hours of downtime."
}

test_a_request_without_an_alternative_gets_nothing_from_this_package if {
	inp := _input({"access": "full_admin", "alternative": null})
	count(follow_up.conditions) == 0 with input as inp
	count(follow_up.next_steps) == 0 with input as inp
	count(follow_up.reasons) == 0 with input as inp
}
