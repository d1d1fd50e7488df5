# METADATA
# title: Change freeze
# description: |
#   Access that can change the environment during one of its change freezes needs an MSP
#   approver; without an exception it waits until the freeze ends. Read-only access and
#   emergencies are not held back.
package gatekeeper.rules.change_freeze

import rego.v1

import data.gatekeeper.lib.util

_frozen if {
	data.gatekeeper.lib.context.access_level.changes_system
	not data.gatekeeper.lib.context.emergency
	data.gatekeeper.lib.context.blocking_freeze
}

_freeze := data.gatekeeper.lib.context.blocking_freeze if _frozen

# METADATA
# title: The requested window falls in a change freeze
# custom:
#   code: GK-CHG-001
consequences contains c if {
	_frozen
	env_title = data.gatekeeper.lib.context.environment_title
	summary = sprintf(
		"%s is in the change freeze \"%s\" (%s) until %s: changes wait %s unless an approver grants an exception.",
		[env_title, _freeze.title, _freeze.reason, _freeze.end, util.hours_text(data.gatekeeper.lib.context.freeze_wait_hours)],
	)
	c = {
		"id": "change_freeze",
		"kind": "lead_time",
		"severity": "high",
		"title": sprintf("change freeze until %s", [_freeze.end]),
		"summary": summary,
		"freeze": _freeze.id,
		"lead_time_hours": data.gatekeeper.lib.context.freeze_wait_hours,
		"earliest_start": _freeze.end,
		"rule": "gatekeeper.rules.change_freeze.consequences",
	}
}

# METADATA
# title: Wait for the freeze to end, or start with an approved exception
# custom:
#   code: GK-CHG-002
conditions contains c if {
	_frozen
	summary = sprintf("Without an approved exception the grant starts at %s, when the freeze ends.", [_freeze.end])
	c = {
		"id": "after_change_freeze",
		"summary": summary,
		"earliest_start": _freeze.end,
		"rule": "gatekeeper.rules.change_freeze.conditions",
	}
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
	_frozen
	message = sprintf("Window %s overlaps freeze %s (%s to %s).", [data.gatekeeper.lib.context.start, _freeze.id, _freeze.start, _freeze.end])
}
