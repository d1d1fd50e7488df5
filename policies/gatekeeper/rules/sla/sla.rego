# METADATA
# title: SLA budget
# description: |
#   Downtime the request causes is measured against the customer's monthly downtime budget
#   (30-day month): minutes consumed, minutes left, whether the SLA is breached, the resulting
#   uptime and the service credit the schedule of the tier grants.
package gatekeeper.rules.sla

import rego.v1

import data.gatekeeper.lib.context
import data.gatekeeper.lib.sla
import data.gatekeeper.lib.util

_rule := "gatekeeper.rules.sla.consequences"

_figures := sla.figures(context.tier, context.downtime_hours, object.get(context.customer, "monthly_fee", 0))

_currency := object.get(context.customer, "currency", "")

_severity := "high" if _figures.sla_breached

_severity := "medium" if not _figures.sla_breached

_budget_text := sprintf("exceed it by %s minutes", [util.num(0 - _figures.sla_budget_remaining_minutes)]) if {
	_figures.sla_breached
}

_budget_text := sprintf("leave %s minutes of it", [util.num(_figures.sla_budget_remaining_minutes)]) if {
	not _figures.sla_breached
}

_credit_text := "no service credit" if _figures.credit_percent == 0

_credit_text := text if {
	_figures.credit_percent > 0
	text := sprintf("a %s%% service credit (%s %s)", [util.num(_figures.credit_percent), _currency, util.num(_figures.credit_amount)])
}

_title := "SLA budget exceeded" if _figures.sla_breached

_title := "SLA budget used" if not _figures.sla_breached

# METADATA
# title: SLA minutes consumed by the downtime
# description: The downtime is counted against the tier's monthly downtime budget.
# custom:
#   code: GK-SLA-001
consequences contains object.union(_figures, {
	"id": "sla_budget",
	"kind": "sla",
	"severity": _severity,
	"title": _title,
	"summary": summary,
	"tier": context.customer.tier,
	"downtime_hours": context.downtime_hours,
	"currency": _currency,
	"rule": _rule,
}) if {
	context.downtime_hours > 0
	tier_title := context.tier.title
	summary := sprintf(
		"%s minutes of downtime use the %s SLA budget of %s minutes a month and %s: uptime this month falls to %s%% against a %s%% target, %s.",
		[
			util.num(_figures.sla_minutes_consumed), tier_title, util.num(_figures.sla_budget_minutes), _budget_text,
			util.num(_figures.resulting_uptime_percent), util.num(_figures.uptime_target_percent), _credit_text,
		],
	)
}

# METADATA
# title: Why the SLA budget is affected
# custom:
#   code: GK-SLA-001
reasons contains {"rule": _rule, "code": "GK-SLA-001", "message": message} if {
	context.downtime_hours > 0
	message := sprintf(
		"%s of %s SLA minutes consumed (breached: %v), credit %s%%.",
		[util.num(_figures.sla_minutes_consumed), util.num(_figures.sla_budget_minutes), _figures.sla_breached, util.num(_figures.credit_percent)],
	)
}
