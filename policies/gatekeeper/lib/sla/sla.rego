# METADATA
# title: SLA maths
# description: |
#   What an amount of downtime does to a tier's monthly downtime budget (a month is 30 days,
#   43200 minutes), the resulting uptime, and the service credit from the tier's schedule.
package gatekeeper.lib.sla

import rego.v1

import data.gatekeeper.lib.util

# METADATA
# title: Minutes in a 30-day month
# custom:
#   code: GK-LIB-SLA-001
month_minutes := 43200

# METADATA
# title: Minutes of downtime for a number of hours
# custom:
#   code: GK-LIB-SLA-002
minutes_consumed(downtime_hours) := round(downtime_hours * 60)

# METADATA
# title: Uptime percent of the month after some minutes of downtime, unrounded
# custom:
#   code: GK-LIB-SLA-003
uptime_percent(consumed) := ((month_minutes - consumed) * 100) / month_minutes

# METADATA
# title: Credit percent for an uptime, the highest step of the schedule it falls below
# custom:
#   code: GK-LIB-SLA-004
credit_percent(tier, uptime) := util.max_of(steps) if {
	steps = [c | some s in tier.credit_schedule; uptime < s.below_percent; c = s.credit_percent]
	count(steps) > 0
} else := 0

# METADATA
# title: All SLA figures for a tier, some hours of downtime and a monthly fee
# description: As figures_after with nothing used before this month.
# custom:
#   code: GK-LIB-SLA-005
figures(tier, downtime_hours, monthly_fee) := figures_after(tier, 0, downtime_hours, monthly_fee)

# METADATA
# title: All SLA figures when some minutes of the month are already used
# description: |
#   The budget left, the breach, the uptime and the credit are computed on the total: the
#   minutes used this month before the request plus the minutes it consumes.
# custom:
#   code: GK-LIB-SLA-006
figures_after(tier, used_minutes, downtime_hours, monthly_fee) := {
	"sla_budget_minutes": budget,
	"sla_minutes_used_this_month": used_minutes,
	"sla_minutes_consumed": consumed,
	"sla_budget_remaining_minutes": (budget - used_minutes) - consumed,
	"sla_breached": total > budget,
	"uptime_target_percent": tier.uptime_target_percent,
	"resulting_uptime_percent": round(uptime * 100) / 100,
	"credit_percent": credit,
	"credit_amount": round(monthly_fee * credit) / 100,
} if {
	budget = tier.monthly_downtime_budget_minutes
	consumed = minutes_consumed(downtime_hours)
	total = used_minutes + consumed
	uptime = uptime_percent(total)
	credit = credit_percent(tier, uptime)
}

# METADATA
# title: Whether the contract's SLA covers an environment (default true)
# custom:
#   code: GK-LIB-SLA-007
covered(environment) if object.get(object.get(environment, "sla", {}), "covered", true) == true

# METADATA
# title: The SLA tier of an environment, its own when the contract gives one, else the customer's
# custom:
#   code: GK-LIB-SLA-008
tier_of(customer, environment) := object.get(object.get(environment, "sla", {}), "tier", customer.tier)

# METADATA
# title: What a tier says about downtime the customer's own request causes
# description: Absent, it counts against the budget and earns no service credit.
# custom:
#   code: GK-LIB-SLA-009
customer_caused_terms(tier) := object.union(
	{"counts_against_budget": true, "earns_credit": false},
	object.get(tier, "customer_caused_downtime", {}),
)

# METADATA
# title: SLA figures of downtime the customer's request causes, under the tier's terms
# description: |
#   As figures_after, but downtime that does not count against the budget consumes no SLA
#   minutes, and downtime that earns no credit has credit_percent and credit_amount 0.
# custom:
#   code: GK-LIB-SLA-010
charged_figures(tier, terms, used_minutes, downtime_hours, monthly_fee) := f if {
	counted = {true: downtime_hours, false: 0}
	raw = figures_after(tier, used_minutes, counted[terms.counts_against_budget], monthly_fee)
	credit = {true: raw.credit_percent, false: 0}
	amount = {true: raw.credit_amount, false: 0}
	f = object.union(raw, {
		"credit_percent": credit[terms.earns_credit],
		"credit_amount": amount[terms.earns_credit],
	})
}

# METADATA
# title: An amount of money with its currency and two decimals ("EUR 22.50")
# custom:
#   code: GK-LIB-SLA-011
money_text(currency, amount) := text if {
	cents = round(amount * 100)
	whole = floor(cents / 100)
	rest = cents - (whole * 100)
	pads = {true: "0", false: ""}
	text = concat("", [currency, " ", format_int(whole, 10), ".", pads[rest < 10], format_int(rest, 10)])
}
