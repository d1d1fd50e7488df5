# METADATA
# title: Re-provisioning after a broken managed baseline
# description: |
#   Access that breaks an environment's managed baseline (e.g. full admin) is possible, but
#   afterwards the MSP must re-provision and re-secure the environment. That costs the
#   environment's reprovision_hours of downtime. The customer's SLA tier says whether the
#   requester may accept that themselves or an MSP approver must sign off.
package gatekeeper.rules.reprovisioning

import rego.v1

import data.gatekeeper.lib.util

# The entry point builds every rule of every rules package, and each rule costs even when it
# fails at once: the package has one helper, _rpv, undefined (after one look-up) unless the
# access breaks the baseline. It comes from the bundle view when there is one.
_rpv := v if {
	data.gatekeeper.lib.context.breaks_baseline
	v = _rpv_here(data.gatekeeper.lib.context.view_key)
}

# One body above, the choice of the view here: the rule tries one body for every request.
_rpv_here(key) := data.views.reprovisioning[key] if {
	data.views.reprovisioning[key]
} else := effect(input.request.customer, input.request.environment, input.request.access)

# METADATA
# title: What breaking the managed baseline costs a customer's environment
# description: |
#   The consequence, condition, tier approval and reason for an access level on a customer's
#   environment; undefined unless the access breaks the baseline. A function of data only:
#   gatekeeper.views computes it for every combination when the bundle loads. Every number
#   is printed once.
# custom:
#   code: GK-RPV-005
effect(customer_id, environment_id, access_id) := v if {
	customer = data.customers[customer_id]
	environment = customer.environments[environment_id]
	access_level = data.catalog.access_levels[access_id]
	data.gatekeeper.lib.context.breaks_baseline_of(environment, access_level)
	downtime = environment.reprovision_hours
	tolerated = data.gatekeeper.lib.context.preferences_of(customer).tolerated_downtime_hours
	tier = data.sla_tiers[customer.tier]
	approval = tier.approval
	downtime_text = util.hours_text(downtime)
	hours = util.num(downtime)
	tolerance = _tolerance(downtime, tolerated)
	env_title = object.get(environment, "title", environment_id)
	summary = sprintf(
		"%s lets you change anything on %s. So when you are done, we must set it up again and make it safe. That means about %s of downtime. %s",
		[access_level.title, env_title, downtime_text, tolerance.text],
	)
	c = {
		"id": "reprovisioning_downtime",
		"kind": "downtime",
		"severity": tolerance.severity,
		"title": sprintf("%s of downtime afterwards", [downtime_text]),
		"summary": summary,
		"downtime_hours": downtime,
		"tolerated_downtime_hours": tolerated,
		"environment": environment_id,
		"rule": "gatekeeper.rules.reprovisioning.consequences",
	}
	condition_summary = sprintf(
		"When your access ends, we set up %s again from our managed setup. This takes about %s of downtime.",
		[env_title, downtime_text],
	)
	condition = {
		"id": "reprovision_after_grant",
		"summary": condition_summary,
		"downtime_hours": downtime,
		"rule": "gatekeeper.rules.reprovisioning.conditions",
	}
	message = sprintf(
		"%s breaks the managed baseline of %s; re-provisioning takes %s h; the %s tier sets the outcome %s.",
		[access_id, environment_id, hours, tier.title, approval.outcome],
	)
	v = {"consequence": c, "condition": condition, "approval": approval, "message": message}
}

_tolerance(downtime, tolerated) := {
	"severity": "critical",
	"text": sprintf("That is more than the %s you said you can accept.", [util.hours_text(tolerated)]),
} if {
	downtime > tolerated
} else := {
	"severity": "high",
	"text": sprintf("That is within the %s you said you can accept.", [util.hours_text(tolerated)]),
}

# METADATA
# title: Re-provisioning downtime
# description: The access breaks the managed baseline; re-provisioning costs downtime.
# custom:
#   code: GK-RPV-001
consequences contains c if {
	c = _rpv.consequence
}

# METADATA
# title: Re-provisioning is scheduled when the grant ends
# custom:
#   code: GK-RPV-002
conditions contains c if {
	c = _rpv.condition
}

# METADATA
# title: Outcome for breaking the baseline, from the SLA tier
# custom:
#   code: GK-RPV-003
outcomes contains o if {
	outcome = _rpv.approval.outcome
	o = {"outcome": outcome, "rule": "gatekeeper.rules.reprovisioning.outcomes"}
}

# METADATA
# title: Approvers the SLA tier requires for breaking the baseline
# custom:
#   code: GK-RPV-004
approvals contains a if {
	approval = _rpv.approval
	approval.outcome == "needs_approval"
	a = {
		"roles": approval.roles,
		"count": approval.count,
		"rule": "gatekeeper.rules.reprovisioning.approvals",
	}
}

# METADATA
# title: Why re-provisioning applies
# custom:
#   code: GK-RPV-001
reasons contains {"rule": "gatekeeper.rules.reprovisioning.consequences", "code": "GK-RPV-001", "message": message} if {
	message = _rpv.message
}

# METADATA
# title: What breaking the baseline will produce, from guards that cannot fail
# description: |
#   The keys of the elements above, for the entry point to check that none went missing
#   (docs/policy-contract.md, "Announced elements"). Written apart from _rpv on purpose; one
#   body that fails at its first look-up unless the access breaks the baseline.
# custom:
#   code: GK-RPV-006
announced contains k if {
	data.gatekeeper.lib.context.breaks_baseline
	some k in array.concat(
		["consequences:reprovisioning_downtime", "conditions:reprovision_after_grant", "reasons:GK-RPV-001"],
		_tier_keys(data.gatekeeper.lib.context.customer),
	)
}

# The tier's outcome, and its approvals when it asks for approval.
_tier_keys(customer) := [
	"outcomes:needs_approval", "approvals:gatekeeper.rules.reprovisioning.approvals",
] if {
	data.sla_tiers[customer.tier].approval.outcome == "needs_approval"
} else := [k] if {
	outcome = data.sla_tiers[customer.tier].approval.outcome
	k = concat(":", ["outcomes", outcome])
} else := []
