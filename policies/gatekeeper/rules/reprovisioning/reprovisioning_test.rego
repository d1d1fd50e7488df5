package gatekeeper.rules.reprovisioning_test

import rego.v1

import data.gatekeeper.rules.reprovisioning

_input(overrides) := {
	"request": object.union(
		{
			"customer": "acme", "environment": "production", "access": "full_admin",
			"purpose": "software_install", "need": "n", "systems": [],
			"start": "2026-11-23T09:00:00Z", "duration_hours": 8, "justification": "j",
			"urgency": "normal", "ticket": "T-1",
		},
		overrides,
	),
	"identity": {"subject": "a@acme.example", "role": "customer", "organisation": "acme"},
	"now": "2026-11-23T09:00:00Z",
}

test_full_admin_on_managed_production_costs_reprovisioning if {
	reprovisioning.consequences == {{
		"id": "reprovisioning_downtime",
		"kind": "downtime",
		"severity": "critical",
		"title": "24 hours of downtime afterwards",
		"summary": "Full administrator lets you change anything on Production web shop. So when you are done, we must set it up again and make it safe. That means about 24 hours of downtime. That is more than the 2 hours you said you can accept.",
		"downtime_hours": 24,
		"tolerated_downtime_hours": 2,
		"environment": "production",
		"rule": "gatekeeper.rules.reprovisioning.consequences",
	}} with input as _input({})
}

test_downtime_within_tolerance_is_high_not_critical if {
	some c in reprovisioning.consequences with input as _input({})
		with data.customers.acme.preferences.tolerated_downtime_hours as 48 with data.views as {}
	c.severity == "high"
}

test_gold_tier_needs_approval if {
	reprovisioning.outcomes == {{"outcome": "needs_approval", "rule": "gatekeeper.rules.reprovisioning.outcomes"}} with input as _input({})
	reprovisioning.approvals == {{"roles": ["approver"], "count": 1, "rule": "gatekeeper.rules.reprovisioning.approvals"}} with input as _input({})
}

test_bronze_tier_lets_the_requester_accept if {
	reprovisioning.outcomes == {{"outcome": "allow_with_consequences", "rule": "gatekeeper.rules.reprovisioning.outcomes"}} with input as _input({})
		with data.customers.acme.tier as "bronze" with data.views as {}
	count(reprovisioning.approvals) == 0 with input as _input({}) with data.customers.acme.tier as "bronze" with data.views as {}
}

test_scoped_admin_keeps_the_baseline if {
	count(reprovisioning.consequences) == 0 with input as _input({"access": "scoped_admin"})
	count(reprovisioning.outcomes) == 0 with input as _input({"access": "scoped_admin"})
}

test_unmanaged_environment_needs_no_reprovisioning if {
	count(reprovisioning.consequences) == 0 with input as _input({"customer": "globex", "environment": "development"})
}
