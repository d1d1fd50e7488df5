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
