package gatekeeper.rules.sla_test

import rego.v1

import data.gatekeeper.rules.sla

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

test_gold_budget_is_exceeded_by_a_day_of_downtime if {
	sla.consequences == {{
		"id": "sla_budget",
		"kind": "sla",
		"severity": "high",
		"title": "SLA budget exceeded",
		"summary": "1440 minutes of downtime use the Gold SLA budget of 43 minutes a month and exceed it by 1397 minutes: uptime this month falls to 96.67% against a 99.9% target, a 25% service credit (EUR 3000).",
		"tier": "gold",
		"downtime_hours": 24,
		"currency": "EUR",
		"sla_budget_minutes": 43,
		"sla_minutes_consumed": 1440,
		"sla_budget_remaining_minutes": -1397,
		"sla_breached": true,
		"uptime_target_percent": 99.9,
		"resulting_uptime_percent": 96.67,
		"credit_percent": 25,
		"credit_amount": 3000,
		"rule": "gatekeeper.rules.sla.consequences",
	}} with input as _input({})
}

test_within_budget_is_medium_and_leaves_minutes if {
	some c in sla.consequences with input as _input({})
		with data.customers.acme.environments.production.reprovision_hours as 0.5 with data.views as {}
	c.severity == "medium"
	c.sla_breached == false
	c.sla_budget_remaining_minutes == 13
	c.credit_percent == 0
	contains(c.summary, "leave 13 minutes of it")
	contains(c.summary, "no service credit")
}

test_no_downtime_no_sla_consequence if {
	count(sla.consequences) == 0 with input as _input({"access": "read_only", "purpose": "troubleshooting"})
	count(sla.reasons) == 0 with input as _input({"access": "read_only", "purpose": "troubleshooting"})
}
