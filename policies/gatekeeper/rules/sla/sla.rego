# METADATA
# title: SLA budget
# description: |
#   Downtime the request causes is measured against the monthly downtime budget of the
#   environment's SLA (30-day month; its own tier, else the customer's), after the minutes
#   already used or committed this month (input.context): minutes used before, minutes
#   consumed, minutes left, whether the SLA is breached, the resulting uptime and who owes
#   what. The request causes the downtime, so the tier's customer_caused_downtime terms say
#   whether it uses the budget and whether it earns a credit. An environment the contract's
#   SLA does not cover (environments.<id>.sla.covered false) gets an info consequence that
#   says so: no SLA minutes, no credit.
package gatekeeper.rules.sla

import rego.v1

import data.gatekeeper.lib.sla
import data.gatekeeper.lib.util

# The entry point builds every rule of every rules package, and each rule costs even when it
# fails at once: the package has one helper, _sla, undefined (after one look-up) unless the
# request causes downtime. With nothing used this month it comes from the bundle view.
# Only an access that breaks the baseline causes downtime: context.breaks_baseline, which
# rules.reprovisioning reads too, fails first for the other requests.
_sla := v if {
	data.gatekeeper.lib.context.breaks_baseline
	data.gatekeeper.lib.context.downtime_hours > 0
	v = _sla_after(data.gatekeeper.lib.context.sla_minutes_used_this_month)
}

# One body above, the choice of the view here: the rule tries one body for every request.
_sla_after(used) := data.views.sla[data.gatekeeper.lib.context.view_key] if {
	used == 0
	data.views.sla[data.gatekeeper.lib.context.view_key]
} else := effect_after(input.request.customer, input.request.environment, input.request.access, used)

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
	sla.covered(environment)
	tier_id = sla.tier_of(customer, environment)
	tier = data.sla_tiers[tier_id]
	terms = sla.customer_caused_terms(tier)
	figures = sla.charged_figures(tier, terms, used_minutes, downtime, object.get(customer, "monthly_fee", 0))
	currency = object.get(customer, "currency", "")
	consumed = util.num(sla.minutes_consumed(downtime))
	budget = util.num(figures.sla_budget_minutes)
	credit = util.num(figures.credit_percent)
	verdict = _verdict(figures)

	# concat, not sprintf, joins the sentences: one engine quotes strings built by a builtin.
	summary = concat("", [
		sprintf("This causes %s minutes of downtime.", [consumed]),
		_used_text(figures),
		sprintf(" Your %s plan allows %s minutes a month.", [tier.title, budget]),
		_budget_text(terms, verdict),
		sprintf(
			" Uptime this month would be %s%%. The target is %s%%.",
			[util.num(figures.resulting_uptime_percent), util.num(figures.uptime_target_percent)],
		),
		_who_pays_text(terms, figures, credit, currency),
	])
	c = object.union(figures, {
		"id": "sla_budget",
		"kind": "sla",
		"severity": verdict.severity,
		"title": verdict.title,
		"summary": summary,
		"tier": tier_id,
		"sla_covered": true,
		"caused_by": "customer",
		"counts_against_budget": terms.counts_against_budget,
		"earns_credit": terms.earns_credit,
		"downtime_hours": downtime,
		"currency": currency,
		"rule": "gatekeeper.rules.sla.consequences",
	})
	message = sprintf(
		"%s of %s SLA minutes consumed after %s used this month (breached: %v), credit %s%%.",
		[util.num(figures.sla_minutes_consumed), budget, util.num(used_minutes), figures.sla_breached, credit],
	)
	v = {"consequence": c, "message": message}
}

# An environment the contract's SLA does not cover: the downtime uses no SLA minutes and
# earns no credit, and the answer says so.
effect_after(customer_id, environment_id, access_id, used_minutes) := v if {
	customer = data.customers[customer_id]
	environment = customer.environments[environment_id]
	access_level = data.catalog.access_levels[access_id]
	downtime = data.gatekeeper.lib.context.downtime_of(environment, access_level)
	downtime > 0
	not sla.covered(environment)
	title = object.get(environment, "title", environment_id)
	c = {
		"id": "sla_budget",
		"kind": "sla",
		"severity": "info",
		"title": "Not covered by the SLA",
		"summary": sprintf(
			"Your SLA does not cover %s. So this downtime uses none of your SLA minutes, and it earns no service credit.",
			[title],
		),
		"tier": customer.tier,
		"sla_covered": false,
		"caused_by": "customer",
		"sla_minutes_used_this_month": used_minutes,
		"sla_minutes_consumed": 0,
		"sla_budget_minutes": 0,
		"sla_breached": false,
		"credit_percent": 0,
		"credit_amount": 0,
		"downtime_hours": downtime,
		"currency": object.get(customer, "currency", ""),
		"rule": "gatekeeper.rules.sla.consequences",
	}
	message = sprintf("%s is not covered by the SLA: no SLA minutes consumed, no credit.", [environment_id])
	v = {"consequence": c, "message": message}
}

_budget_text(terms, verdict) := verdict.budget_text if {
	terms.counts_against_budget
} else := " It does not use your SLA budget."

# Who owes what: from the tier's customer_caused_downtime terms.
_who_pays_text(terms, figures, credit, currency) := " This downtime is caused by your request. So it earns no service credit, and it still uses your SLA budget." if {
	not terms.earns_credit
	terms.counts_against_budget
} else := " This downtime is caused by your request. So it earns no service credit." if {
	not terms.earns_credit
} else := " There is no service credit." if {
	figures.credit_percent == 0
} else := concat("", [
	" You get a ", credit, "% service credit (",
	sla.money_text(currency, figures.credit_amount), ").",
])

_used_text(figures) := "" if {
	figures.sla_minutes_used_this_month == 0
} else := sprintf(
	" %s minutes were already used or booked this month.",
	[util.num(figures.sla_minutes_used_this_month)],
)

_verdict(figures) := {
	"severity": "high", "title": "Over your SLA budget",
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

# METADATA
# title: What downtime will produce, from guards that cannot fail
# description: |
#   The keys of the elements above, for the entry point to check that none went missing
#   (docs/policy-contract.md, "Announced elements"). Written apart from _sla on purpose.
# custom:
#   code: GK-SLA-004
announced contains k if {
	data.gatekeeper.lib.context.breaks_baseline
	data.gatekeeper.lib.context.downtime_hours > 0
	some k in ["consequences:sla_budget", "reasons:GK-SLA-001"]
}
