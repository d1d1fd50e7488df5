# METADATA
# title: SLA budget
# description: |
#   Downtime the request causes is measured against the customer's monthly downtime budget
#   (30-day month): minutes consumed, minutes left, whether the SLA is breached, the resulting
#   uptime and the service credit the schedule of the tier grants.
package gatekeeper.rules.sla

import rego.v1

import data.gatekeeper.lib.sla
import data.gatekeeper.lib.util

# The entry point evaluates every rule of every rules package: each rule here is guarded by
# the downtime, and every number is printed once.
_downtime := data.gatekeeper.lib.context.downtime_hours

_figures := sla.figures(
	data.gatekeeper.lib.context.tier, _downtime,
	object.get(data.gatekeeper.lib.context.customer, "monthly_fee", 0),
) if {
	_downtime > 0
}

_currency := object.get(data.gatekeeper.lib.context.customer, "currency", "") if _downtime > 0

_texts := {
	"consumed": util.num(_figures.sla_minutes_consumed),
	"budget": util.num(_figures.sla_budget_minutes),
	"credit": util.num(_figures.credit_percent),
}

_verdict := {
	"severity": "high", "title": "SLA budget exceeded",
	"budget_text": sprintf("exceed it by %s minutes", [util.num(0 - _figures.sla_budget_remaining_minutes)]),
} if {
	_figures.sla_breached
} else := {
	"severity": "medium", "title": "SLA budget used",
	"budget_text": sprintf("leave %s minutes of it", [util.num(_figures.sla_budget_remaining_minutes)]),
}

_credit_text := "no service credit" if {
	_figures.credit_percent == 0
} else := sprintf("a %s%% service credit (%s %s)", [_texts.credit, _currency, util.num(_figures.credit_amount)])

# METADATA
# title: SLA minutes consumed by the downtime
# description: The downtime is counted against the tier's monthly downtime budget.
# custom:
#   code: GK-SLA-001
consequences contains c if {
	tier_title = data.gatekeeper.lib.context.tier.title
	summary = sprintf(
		"%s minutes of downtime use the %s SLA budget of %s minutes a month and %s: uptime this month falls to %s%% against a %s%% target, %s.",
		[
			_texts.consumed, tier_title, _texts.budget, _verdict.budget_text,
			util.num(_figures.resulting_uptime_percent), util.num(_figures.uptime_target_percent), _credit_text,
		],
	)
	c = object.union(_figures, {
		"id": "sla_budget",
		"kind": "sla",
		"severity": _verdict.severity,
		"title": _verdict.title,
		"summary": summary,
		"tier": data.gatekeeper.lib.context.customer.tier,
		"downtime_hours": _downtime,
		"currency": _currency,
		"rule": "gatekeeper.rules.sla.consequences",
	})
}

# METADATA
# title: Why the SLA budget is affected
# custom:
#   code: GK-SLA-001
reasons contains {"rule": "gatekeeper.rules.sla.consequences", "code": "GK-SLA-001", "message": message} if {
	message = sprintf(
		"%s of %s SLA minutes consumed (breached: %v), credit %s%%.",
		[_texts.consumed, _texts.budget, _figures.sla_breached, _texts.credit],
	)
}
