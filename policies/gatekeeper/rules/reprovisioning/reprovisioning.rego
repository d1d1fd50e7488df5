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

# The entry point evaluates every rule of every rules package: each rule here is guarded by
# _downtime, undefined unless the access breaks the baseline, and every number is printed once.
_downtime := data.gatekeeper.lib.context.downtime_hours if data.gatekeeper.lib.context.breaks_baseline

_tolerated := data.gatekeeper.lib.context.preferences.tolerated_downtime_hours if _downtime

_texts := {
	"downtime": util.hours_text(_downtime),
	"hours": util.num(_downtime),
	"tolerance": sprintf("more than the %s you tolerate", [util.hours_text(_tolerated)]),
	"severity": "critical",
} if {
	_downtime > _tolerated
} else := {
	"downtime": util.hours_text(_downtime),
	"hours": util.num(_downtime),
	"tolerance": sprintf("within the %s you tolerate", [util.hours_text(_tolerated)]),
	"severity": "high",
}

_approval := data.gatekeeper.lib.context.tier.approval if _downtime

# METADATA
# title: Re-provisioning downtime
# description: The access breaks the managed baseline; re-provisioning costs downtime.
# custom:
#   code: GK-RPV-001
consequences contains c if {
	access_title = data.gatekeeper.lib.context.access_level.title
	env_title = data.gatekeeper.lib.context.environment_title
	summary = sprintf(
		"%s breaks the managed baseline of %s: afterwards the MSP must re-provision and re-secure it, about %s of downtime (%s).",
		[access_title, env_title, _texts.downtime, _texts.tolerance],
	)
	c = {
		"id": "reprovisioning_downtime",
		"kind": "downtime",
		"severity": _texts.severity,
		"title": sprintf("%s h re-provisioning downtime", [_texts.hours]),
		"summary": summary,
		"downtime_hours": _downtime,
		"tolerated_downtime_hours": _tolerated,
		"environment": input.request.environment,
		"rule": "gatekeeper.rules.reprovisioning.consequences",
	}
}

# METADATA
# title: Re-provisioning is scheduled when the grant ends
# custom:
#   code: GK-RPV-002
conditions contains c if {
	env_title = data.gatekeeper.lib.context.environment_title
	summary = sprintf(
		"When the grant ends, the MSP re-provisions %s from its managed baseline (about %s of downtime).",
		[env_title, _texts.downtime],
	)
	c = {
		"id": "reprovision_after_grant",
		"summary": summary,
		"downtime_hours": _downtime,
		"rule": "gatekeeper.rules.reprovisioning.conditions",
	}
}

# METADATA
# title: Outcome for breaking the baseline, from the SLA tier
# custom:
#   code: GK-RPV-003
outcomes contains o if {
	o = {"outcome": _approval.outcome, "rule": "gatekeeper.rules.reprovisioning.outcomes"}
}

# METADATA
# title: Approvers the SLA tier requires for breaking the baseline
# custom:
#   code: GK-RPV-004
approvals contains a if {
	_approval.outcome == "needs_approval"
	a = {
		"roles": _approval.roles,
		"count": _approval.count,
		"rule": "gatekeeper.rules.reprovisioning.approvals",
	}
}

# METADATA
# title: Why re-provisioning applies
# custom:
#   code: GK-RPV-001
reasons contains {"rule": "gatekeeper.rules.reprovisioning.consequences", "code": "GK-RPV-001", "message": message} if {
	tier_title = data.gatekeeper.lib.context.tier.title
	message = sprintf(
		"%s breaks the managed baseline of %s; re-provisioning takes %s h; the %s tier sets the outcome %s.",
		[input.request.access, input.request.environment, _texts.hours, tier_title, _approval.outcome],
	)
}
