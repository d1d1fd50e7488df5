# METADATA
# title: Change freeze
# description: |
#   Access that can change the environment during one of its change freezes needs an MSP
#   approver; without an exception it waits until the freeze ends. Read-only access is not
#   held back, nor is an honoured emergency (context.emergency: declared by someone the
#   customer's emergency data allows), which rules.emergency names as skipping the freeze.
package gatekeeper.rules.change_freeze

import rego.v1

import data.gatekeeper.lib.times
import data.gatekeeper.lib.util

# The entry point builds every rule of every rules package, and each rule costs even when it
# fails at once: the package has one helper, _frozen, undefined unless a freeze holds the
# access back. It holds the answers.
_frozen := {"consequence": c, "condition": condition, "message": message} if {
	data.gatekeeper.lib.context.access_level.changes_system
	not data.gatekeeper.lib.context.emergency
	freeze = data.gatekeeper.lib.context.blocking_freeze
	wait_hours = data.gatekeeper.lib.context.freeze_wait_hours
	ends = times.local_text(freeze.end, data.gatekeeper.lib.context.customer.timezone)

	# concat, not sprintf: times.local_text and hours_text are built by builtins.
	summary = concat("", [
		data.gatekeeper.lib.context.environment_title, " has a change freeze until ", ends, ": ",
		freeze.title, ". The reason: ", freeze.reason, ". Changes wait ", util.hours_text(wait_hours),
		", unless an approver allows an exception.",
	])
	c = {
		"id": "change_freeze",
		"kind": "lead_time",
		"severity": "high",
		"title": concat("", ["change freeze until ", ends]),
		"summary": summary,
		"freeze": freeze.id,
		"lead_time_hours": wait_hours,
		"earliest_start": freeze.end,
		"rule": "gatekeeper.rules.change_freeze.consequences",
	}
	condition_summary = concat("", ["Without an approved exception, your access starts when the freeze ends. That is ", ends, "."])
	condition = {
		"id": "after_change_freeze",
		"summary": condition_summary,
		"earliest_start": freeze.end,
		"rule": "gatekeeper.rules.change_freeze.conditions",
	}
	message = sprintf("Window %s overlaps freeze %s (%s to %s).", [data.gatekeeper.lib.context.start, freeze.id, freeze.start, freeze.end])
}

# METADATA
# title: The requested window falls in a change freeze
# custom:
#   code: GK-CHG-001
consequences contains c if {
	c = _frozen.consequence
}

# METADATA
# title: Wait for the freeze to end, or start with an approved exception
# custom:
#   code: GK-CHG-002
conditions contains c if {
	c = _frozen.condition
}

# METADATA
# title: Changes in a freeze need approval
# custom:
#   code: GK-CHG-003
outcomes contains {"outcome": "needs_approval", "rule": "gatekeeper.rules.change_freeze.outcomes"} if _frozen

# METADATA
# title: An MSP approver grants a freeze exception
# custom:
#   code: GK-CHG-004
approvals contains {"roles": ["approver"], "count": 1, "rule": "gatekeeper.rules.change_freeze.approvals"} if _frozen

# METADATA
# title: Why the change freeze applies
# custom:
#   code: GK-CHG-001
reasons contains {"rule": "gatekeeper.rules.change_freeze.consequences", "code": "GK-CHG-001", "message": message} if {
	message = _frozen.message
}

# METADATA
# title: What a change freeze will produce, from guards that cannot fail
# description: |
#   The keys of the elements above, for the entry point to check that none went missing
#   (docs/policy-contract.md, "Announced elements"). Written apart from _frozen on purpose.
# custom:
#   code: GK-CHG-005
announced contains k if {
	data.gatekeeper.lib.context.access_level.changes_system
	not data.gatekeeper.lib.context.emergency
	data.gatekeeper.lib.context.blocking_freeze
	some k in [
		"consequences:change_freeze", "conditions:after_change_freeze", "outcomes:needs_approval",
		"approvals:gatekeeper.rules.change_freeze.approvals", "reasons:GK-CHG-001",
	]
}
