# METADATA
# title: Re-provisioning after a broken managed baseline
# description: |
#   Access that breaks an environment's managed baseline (e.g. full admin) is possible, but
#   afterwards the MSP must re-provision and re-secure the environment. That costs the
#   environment's reprovision_hours of downtime. The customer's SLA tier says whether the
#   requester may accept that themselves or an MSP approver must sign off.
package gatekeeper.rules.reprovisioning

import rego.v1

import data.gatekeeper.lib.context
import data.gatekeeper.lib.util

_rule := "gatekeeper.rules.reprovisioning.consequences"

_tolerated := context.preferences.tolerated_downtime_hours

_severity := "critical" if context.downtime_hours > _tolerated

_severity := "high" if context.downtime_hours <= _tolerated

_tolerance_text := sprintf("more than the %s you tolerate", [util.hours_text(_tolerated)]) if {
	context.downtime_hours > _tolerated
}

_tolerance_text := sprintf("within the %s you tolerate", [util.hours_text(_tolerated)]) if {
	context.downtime_hours <= _tolerated
}

# METADATA
# title: Re-provisioning downtime
# description: The access breaks the managed baseline; re-provisioning costs downtime.
# custom:
#   code: GK-RPV-001
consequences contains {
	"id": "reprovisioning_downtime",
	"kind": "downtime",
	"severity": _severity,
	"title": sprintf("%s h re-provisioning downtime", [util.num(context.downtime_hours)]),
	"summary": summary,
	"downtime_hours": context.downtime_hours,
	"tolerated_downtime_hours": _tolerated,
	"environment": input.request.environment,
	"rule": _rule,
} if {
	context.breaks_baseline
	access_title := context.access_level.title
	env_title := context.environment_title
	summary := sprintf(
		"%s breaks the managed baseline of %s: afterwards the MSP must re-provision and re-secure it, about %s of downtime (%s).",
		[access_title, env_title, util.hours_text(context.downtime_hours), _tolerance_text],
	)
}

# METADATA
# title: Re-provisioning is scheduled when the grant ends
# custom:
#   code: GK-RPV-002
conditions contains {
	"id": "reprovision_after_grant",
	"summary": summary,
	"downtime_hours": context.downtime_hours,
	"rule": "gatekeeper.rules.reprovisioning.conditions",
} if {
	context.breaks_baseline
	env_title := context.environment_title
	summary := sprintf(
		"When the grant ends, the MSP re-provisions %s from its managed baseline (about %s of downtime).",
		[env_title, util.hours_text(context.downtime_hours)],
	)
}

# METADATA
# title: Outcome for breaking the baseline, from the SLA tier
# custom:
#   code: GK-RPV-003
outcomes contains {"outcome": context.tier.approval.outcome, "rule": "gatekeeper.rules.reprovisioning.outcomes"} if {
	context.breaks_baseline
}

# METADATA
# title: Approvers the SLA tier requires for breaking the baseline
# custom:
#   code: GK-RPV-004
approvals contains {
	"roles": context.tier.approval.roles,
	"count": context.tier.approval.count,
	"rule": "gatekeeper.rules.reprovisioning.approvals",
} if {
	context.breaks_baseline
	context.tier.approval.outcome == "needs_approval"
}

# METADATA
# title: Why re-provisioning applies
# custom:
#   code: GK-RPV-001
reasons contains {"rule": _rule, "code": "GK-RPV-001", "message": message} if {
	context.breaks_baseline
	level := input.request.access
	env := input.request.environment
	tier_title := context.tier.title
	message := sprintf(
		"%s breaks the managed baseline of %s; re-provisioning takes %s h; the %s tier sets the outcome %s.",
		[level, env, util.num(context.downtime_hours), tier_title, context.tier.approval.outcome],
	)
}
