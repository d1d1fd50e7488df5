package gatekeeper.rules.sla_test

import rego.v1

import data.gatekeeper.rules.sla

_input(overrides) := _input_with(overrides, {"sla_downtime": [], "overlapping": []})

_input_with(overrides, context) := {
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
	"context": context,
}

test_gold_budget_is_exceeded_by_a_day_of_downtime if {
	sla.consequences == {{
		"id": "sla_budget",
		"kind": "sla",
		"severity": "high",
		"title": "Over your SLA budget",
		"summary": "This causes 1440 minutes of downtime. Your Gold plan allows 43 minutes a month. That is 1397 minutes over. Uptime this month would be 96.67%. The target is 99.9%. This downtime is caused by your request. So it earns no service credit, and it still uses your SLA budget.",
		"tier": "gold",
		"sla_covered": true,
		"caused_by": "customer",
		"counts_against_budget": true,
		"earns_credit": false,
		"downtime_hours": 24,
		"currency": "EUR",
		"sla_budget_minutes": 43,
		"sla_minutes_used_this_month": 0,
		"sla_minutes_consumed": 1440,
		"sla_budget_remaining_minutes": -1397,
		"sla_breached": true,
		"uptime_target_percent": 99.9,
		"resulting_uptime_percent": 96.67,
		"credit_percent": 0,
		"credit_amount": 0,
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
	c.summary == "This causes 30 minutes of downtime. Your Gold plan allows 43 minutes a month. That leaves 13 minutes. Uptime this month would be 99.93%. The target is 99.9%. This downtime is caused by your request. So it earns no service credit, and it still uses your SLA budget."
}

test_no_downtime_no_sla_consequence if {
	count(sla.consequences) == 0 with input as _input({"access": "read_only", "purpose": "troubleshooting"})
	count(sla.reasons) == 0 with input as _input({"access": "read_only", "purpose": "troubleshooting"})
}

_bakkerij := {"customer": "bakkerij_jansen", "access": "full_admin", "start": "2026-11-24T08:00:00Z"}

_used_480 := {
	"sla_downtime": [{
		"request_id": "first", "state": "granted",
		"starts_at": "2026-11-24T08:00:00Z", "downtime_hours": 8,
	}],
	"overlapping": [],
}

test_minutes_used_this_month_count_before_this_request if {
	sla.consequences == {{
		"id": "sla_budget",
		"kind": "sla",
		"severity": "high",
		"title": "Over your SLA budget",
		"summary": "This causes 480 minutes of downtime. 480 minutes were already used or booked this month. Your Bronze plan allows 432 minutes a month. Together that is 528 minutes over. Uptime this month would be 97.78%. The target is 99%. This downtime is caused by your request. So it earns no service credit, and it still uses your SLA budget.",
		"tier": "bronze",
		"sla_covered": true,
		"caused_by": "customer",
		"counts_against_budget": true,
		"earns_credit": false,
		"downtime_hours": 8,
		"currency": "EUR",
		"sla_budget_minutes": 432,
		"sla_minutes_used_this_month": 480,
		"sla_minutes_consumed": 480,
		"sla_budget_remaining_minutes": -528,
		"sla_breached": true,
		"uptime_target_percent": 99,
		"resulting_uptime_percent": 97.78,
		"credit_percent": 0,
		"credit_amount": 0,
		"rule": "gatekeeper.rules.sla.consequences",
	}} with input as _input_with(_bakkerij, _used_480)
	sla.reasons == {{
		"rule": "gatekeeper.rules.sla.consequences",
		"code": "GK-SLA-001",
		"message": "480 of 432 SLA minutes consumed after 480 used this month (breached: true), credit 0%.",
	}} with input as _input_with(_bakkerij, _used_480)
}

test_used_minutes_within_budget_leave_the_rest if {
	used = {"sla_downtime": [{"request_id": "r", "state": "awaiting_approval", "starts_at": "2026-11-02T08:00:00Z", "downtime_hours": 0.25}], "overlapping": []}
	some c in sla.consequences with input as _input_with({}, used)
		with data.customers.acme.environments.production.reprovision_hours as 0.25 with data.views as {}
	[c.sla_minutes_used_this_month, c.sla_minutes_consumed, c.sla_budget_remaining_minutes, c.sla_breached] == [15, 15, 13, false]
	c.summary == "This causes 15 minutes of downtime. 15 minutes were already used or booked this month. Your Gold plan allows 43 minutes a month. Together that leaves 13 minutes. Uptime this month would be 99.93%. The target is 99.9%. This downtime is caused by your request. So it earns no service credit, and it still uses your SLA budget."
}

test_an_input_without_context_uses_nothing_before if {
	inp = object.remove(_input({}), ["context"])
	some c in sla.consequences with input as inp
	c.sla_minutes_used_this_month == 0
	c.sla_minutes_consumed == 1440
}

test_staging_is_not_charged_against_the_production_sla if {
	sla.consequences == {{
		"id": "sla_budget",
		"kind": "sla",
		"severity": "info",
		"title": "Not covered by the SLA",
		"summary": "Your SLA does not cover Staging. So this downtime uses none of your SLA minutes, and it earns no service credit.",
		"tier": "gold",
		"sla_covered": false,
		"caused_by": "customer",
		"sla_minutes_used_this_month": 0,
		"sla_minutes_consumed": 0,
		"sla_budget_minutes": 0,
		"sla_breached": false,
		"credit_percent": 0,
		"credit_amount": 0,
		"downtime_hours": 6,
		"currency": "EUR",
		"rule": "gatekeeper.rules.sla.consequences",
	}} with input as _input({"environment": "staging"})
}

test_an_environment_with_its_own_tier_is_measured_against_it if {
	some c in sla.consequences with input as _input({"environment": "staging"})
		with data.customers.acme.environments.staging.sla as {"covered": true, "tier": "bronze"}
		with data.views as {}
	[c.tier, c.sla_budget_minutes, c.sla_minutes_consumed, c.sla_breached] == ["bronze", 432, 360, false]
}

test_a_contract_that_credits_customer_caused_downtime_says_who_pays if {
	terms := {"counts_against_budget": true, "earns_credit": true}
	some c in sla.consequences with input as _input_with(_bakkerij, _used_480)
		with data.sla_tiers.bronze.customer_caused_downtime as terms
		with data.views as {}
	[c.credit_percent, c.credit_amount, c.earns_credit] == [5, 22.5, true]
	c.summary == "This causes 480 minutes of downtime. 480 minutes were already used or booked this month. Your Bronze plan allows 432 minutes a month. Together that is 528 minutes over. Uptime this month would be 97.78%. The target is 99%. You get a 5% service credit (EUR 22.50)."
}

test_downtime_that_does_not_count_uses_no_budget if {
	terms := {"counts_against_budget": false, "earns_credit": false}
	some c in sla.consequences with input as _input({})
		with data.sla_tiers.gold.customer_caused_downtime as terms
		with data.views as {}
	[c.sla_minutes_consumed, c.sla_budget_remaining_minutes, c.sla_breached] == [0, 43, false]
	c.summary == "This causes 1440 minutes of downtime. Your Gold plan allows 43 minutes a month. It does not use your SLA budget. Uptime this month would be 100%. The target is 99.9%. This downtime is caused by your request. So it earns no service credit."
}
