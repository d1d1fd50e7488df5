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
}

credit_percent(tier, uptime) := 0 if {
	every s in tier.credit_schedule {
		uptime >= s.below_percent
	}
}

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
