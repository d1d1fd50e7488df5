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

# The entry point builds every rule of every rules package, and each rule costs even when it
# fails at once: the package has one helper, _sla, undefined (after one comparison) unless
# the request causes downtime. It prints every number once and holds both answers.
_sla := {"consequence": c, "message": message} if {
	downtime = data.gatekeeper.lib.context.downtime_hours
	downtime > 0
	customer = data.gatekeeper.lib.context.customer
	tier = data.gatekeeper.lib.context.tier
	figures = sla.figures(tier, downtime, object.get(customer, "monthly_fee", 0))
	currency = object.get(customer, "currency", "")
	consumed = util.num(figures.sla_minutes_consumed)
	budget = util.num(figures.sla_budget_minutes)
	credit = util.num(figures.credit_percent)
	verdict = _verdict(figures)
	summary = sprintf(
		"%s minutes of downtime use the %s SLA budget of %s minutes a month and %s: uptime this month falls to %s%% against a %s%% target, %s.",
		[
			consumed, tier.title, budget, verdict.budget_text,
			util.num(figures.resulting_uptime_percent), util.num(figures.uptime_target_percent),
			_credit_text(figures, credit, currency),
		],
	)
	c = object.union(figures, {
		"id": "sla_budget",
		"kind": "sla",
		"severity": verdict.severity,
		"title": verdict.title,
		"summary": summary,
		"tier": customer.tier,
		"downtime_hours": downtime,
		"currency": currency,
		"rule": "gatekeeper.rules.sla.consequences",
	})
	message = sprintf(
		"%s of %s SLA minutes consumed (breached: %v), credit %s%%.",
		[consumed, budget, figures.sla_breached, credit],
	)
}

_verdict(figures) := {
	"severity": "high", "title": "SLA budget exceeded",
	"budget_text": sprintf("exceed it by %s minutes", [util.num(0 - figures.sla_budget_remaining_minutes)]),
} if {
	figures.sla_breached
} else := {
	"severity": "medium", "title": "SLA budget used",
	"budget_text": sprintf("leave %s minutes of it", [util.num(figures.sla_budget_remaining_minutes)]),
}

_credit_text(figures, credit, currency) := "no service credit" if {
	figures.credit_percent == 0
} else := sprintf("a %s%% service credit (%s %s)", [credit, currency, util.num(figures.credit_amount)])

# METADATA
# title: SLA minutes consumed by the downtime
# description: The downtime is counted against the tier's monthly downtime budget.
# custom:
#   code: GK-SLA-001
consequences contains c if {
	c = _sla.consequence
}

# METADATA
# title: Why the SLA budget is affected
# custom:
#   code: GK-SLA-001
reasons contains {"rule": "gatekeeper.rules.sla.consequences", "code": "GK-SLA-001", "message": message} if {
	message = _sla.message
}
