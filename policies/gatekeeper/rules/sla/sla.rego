# METADATA
# title: SLA budget
# description: |
#   Downtime the request causes is measured against the customer's monthly downtime budget
#   (30-day month), after the minutes already used or committed this month (input.context):
#   minutes used before, minutes consumed, minutes left, whether the SLA is breached, the
#   resulting uptime and the service credit the schedule of the tier grants.
package gatekeeper.rules.sla

import rego.v1

import data.gatekeeper.lib.sla
import data.gatekeeper.lib.util

# The entry point builds every rule of every rules package, and each rule costs even when it
# fails at once: the package has one helper, _sla, undefined (after one look-up) unless the
# request causes downtime. With nothing used this month it comes from the bundle view.
_sla := v if {
	data.gatekeeper.lib.context.downtime_hours > 0
	data.gatekeeper.lib.context.sla_minutes_used_this_month == 0
	v = data.views.sla[data.gatekeeper.lib.context.view_key]
} else := v if {
	data.gatekeeper.lib.context.downtime_hours > 0
	v = effect_after(
		input.request.customer, input.request.environment, input.request.access,
		data.gatekeeper.lib.context.sla_minutes_used_this_month,
	)
}

# METADATA
# title: SLA figures of the downtime an access level causes a customer's environment
# description: |
#   Undefined when the access causes no downtime. A function of data only: gatekeeper.views
#   computes it for every combination when the bundle loads (nothing used this month).
# custom:
#   code: GK-SLA-002
effect(customer_id, environment_id, access_id) := effect_after(customer_id, environment_id, access_id, 0)

# METADATA
# title: SLA figures of the downtime when some minutes of the month are already used
# description: |
#   used_minutes comes from input.context (requests granted or committed this month). The
#   budget left, the breach and the credit count both. Every number is printed once.
# custom:
#   code: GK-SLA-003
effect_after(customer_id, environment_id, access_id, used_minutes) := v if {
	customer = data.customers[customer_id]
	environment = customer.environments[environment_id]
	access_level = data.catalog.access_levels[access_id]
	downtime = data.gatekeeper.lib.context.downtime_of(environment, access_level)
	downtime > 0
	tier = data.sla_tiers[customer.tier]
	figures = sla.figures_after(tier, used_minutes, downtime, object.get(customer, "monthly_fee", 0))
	currency = object.get(customer, "currency", "")
	consumed = util.num(figures.sla_minutes_consumed)
	budget = util.num(figures.sla_budget_minutes)
	credit = util.num(figures.credit_percent)
	verdict = _verdict(figures)

	# concat, not sprintf, joins the sentences: one engine quotes strings built by a builtin.
	summary = concat("", [
		sprintf("This causes %s minutes of downtime.", [consumed]),
		_used_text(figures),
		sprintf(" Your %s plan allows %s minutes a month.", [tier.title, budget]),
		verdict.budget_text,
		sprintf(
			" Uptime this month would be %s%%. The target is %s%%.",
			[util.num(figures.resulting_uptime_percent), util.num(figures.uptime_target_percent)],
		),
		_credit_text(figures, credit, currency),
	])
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
		"%s of %s SLA minutes consumed after %s used this month (breached: %v), credit %s%%.",
		[consumed, budget, util.num(used_minutes), figures.sla_breached, credit],
	)
	v = {"consequence": c, "message": message}
}

_used_text(figures) := "" if {
	figures.sla_minutes_used_this_month == 0
} else := sprintf(
	" %s minutes were already used or booked this month.",
	[util.num(figures.sla_minutes_used_this_month)],
)

_verdict(figures) := {
	"severity": "high", "title": "SLA budget exceeded",
	"budget_text": sprintf(" %s is %s minutes over.", [_together(figures), util.num(0 - figures.sla_budget_remaining_minutes)]),
} if {
	figures.sla_breached
} else := {
	"severity": "medium", "title": "SLA budget used",
	"budget_text": sprintf(" %s leaves %s minutes.", [_together(figures), util.num(figures.sla_budget_remaining_minutes)]),
}

_together(figures) := "That" if {
	figures.sla_minutes_used_this_month == 0
} else := "Together that"

_credit_text(figures, credit, currency) := " There is no service credit." if {
	figures.credit_percent == 0
} else := sprintf(" You get a %s%% service credit (%s %s).", [credit, currency, util.num(figures.credit_amount)])

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
