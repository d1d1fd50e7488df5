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
# fails at once: the package has one helper, _sla, undefined (after one look-up) unless the
# request causes downtime. It comes from the bundle view when there is one.
_sla := v if {
	data.gatekeeper.lib.context.downtime_hours > 0
	v = data.views.sla[data.gatekeeper.lib.context.view_key]
} else := v if {
	data.gatekeeper.lib.context.downtime_hours > 0
	v = effect(input.request.customer, input.request.environment, input.request.access)
}

# METADATA
# title: SLA figures of the downtime an access level causes a customer's environment
# description: |
#   Undefined when the access causes no downtime. A function of data only: gatekeeper.views
#   computes it for every combination when the bundle loads. Every number is printed once.
# custom:
#   code: GK-SLA-002
effect(customer_id, environment_id, access_id) := v if {
	customer = data.customers[customer_id]
	environment = customer.environments[environment_id]
	access_level = data.catalog.access_levels[access_id]
	downtime = data.gatekeeper.lib.context.downtime_of(environment, access_level)
	downtime > 0
	tier = data.sla_tiers[customer.tier]
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
	v = {"consequence": c, "message": message}
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
