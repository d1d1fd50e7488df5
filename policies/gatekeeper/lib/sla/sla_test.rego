package gatekeeper.lib.sla_test

import rego.v1

import data.gatekeeper.lib.sla

_gold := {
	"uptime_target_percent": 99.9,
	"monthly_downtime_budget_minutes": 43,
	"credit_schedule": [
		{"below_percent": 99.9, "credit_percent": 10},
		{"below_percent": 99.0, "credit_percent": 25},
		{"below_percent": 95.0, "credit_percent": 50},
	],
}

test_figures_for_a_day_of_downtime if {
	sla.figures(_gold, 24, 12000) == {
		"sla_budget_minutes": 43,
		"sla_minutes_used_this_month": 0,
		"sla_minutes_consumed": 1440,
		"sla_budget_remaining_minutes": -1397,
		"sla_breached": true,
		"uptime_target_percent": 99.9,
		"resulting_uptime_percent": 96.67,
		"credit_percent": 25,
		"credit_amount": 3000,
	}
}

test_figures_within_budget if {
	sla.figures(_gold, 0.5, 12000) == {
		"sla_budget_minutes": 43,
		"sla_minutes_used_this_month": 0,
		"sla_minutes_consumed": 30,
		"sla_budget_remaining_minutes": 13,
		"sla_breached": false,
		"uptime_target_percent": 99.9,
		"resulting_uptime_percent": 99.93,
		"credit_percent": 0,
		"credit_amount": 0,
	}
}

test_highest_matching_credit_step_applies if {
	sla.credit_percent(_gold, 99.95) == 0
	sla.credit_percent(_gold, 99.5) == 10
	sla.credit_percent(_gold, 98) == 25
	sla.credit_percent(_gold, 90) == 50
}

test_month_is_thirty_days if {
	sla.month_minutes == (30 * 24) * 60
	sla.uptime_percent(432) == 99
}

test_figures_after_count_the_minutes_used_before if {
	sla.figures_after(_gold, 30, 0.5, 12000) == {
		"sla_budget_minutes": 43,
		"sla_minutes_used_this_month": 30,
		"sla_minutes_consumed": 30,
		"sla_budget_remaining_minutes": -17,
		"sla_breached": true,
		"uptime_target_percent": 99.9,
		"resulting_uptime_percent": 99.86,
		"credit_percent": 10,
		"credit_amount": 1200,
	}
}

test_money_has_the_currency_and_two_decimals if {
	[sla.money_text("EUR", 22.5), sla.money_text("USD", 800), sla.money_text("EUR", 0.05), sla.money_text("EUR", 1234.567)] == [
		"EUR 22.50", "USD 800.00", "EUR 0.05", "EUR 1234.57",
	]
}

test_customer_caused_terms_default_to_counting_without_credit if {
	sla.customer_caused_terms({}) == {"counts_against_budget": true, "earns_credit": false}
	sla.customer_caused_terms({"customer_caused_downtime": {"counts_against_budget": false, "earns_credit": true}}) == {"counts_against_budget": false, "earns_credit": true}
}

test_coverage_and_tier_of_an_environment if {
	sla.covered({})
	sla.covered({"sla": {"covered": true}})
	not sla.covered({"sla": {"covered": false}})
	sla.tier_of({"tier": "gold"}, {}) == "gold"
	sla.tier_of({"tier": "gold"}, {"sla": {"covered": true, "tier": "bronze"}}) == "bronze"
}
