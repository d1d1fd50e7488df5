# METADATA
# title: Support hours
# description: |
#   A grant that an MSP engineer must set up waits for the customer's support hours. Outside
#   them the request gets a lead time until support opens; self-service alternatives can
#   happen sooner. Emergencies go to the on-call engineer and do not wait.
package gatekeeper.rules.support_hours

import rego.v1

import data.gatekeeper.lib.support_hours
import data.gatekeeper.lib.util

# The entry point evaluates every rule of every rules package, so the helpers are guarded too.
_waits if data.gatekeeper.lib.context.waits_for_support

_hours_text := support_hours.describe(data.gatekeeper.lib.context.customer.support_hours, data.gatekeeper.lib.context.customer.timezone) if {
	_waits
}

# METADATA
# title: Waiting for support hours
# custom:
#   code: GK-SUP-001
consequences contains c if {
	_waits
	name = data.gatekeeper.lib.context.customer.name
	wait = util.hours_text(data.gatekeeper.lib.context.support_wait_hours)

	# concat, not sprintf: _hours_text is built by concat, which one engine quotes in sprintf.
	summary = concat("", [
		name, " has support ", _hours_text, "; an MSP engineer can set this up when support opens at ",
		data.gatekeeper.lib.context.support_opens_at, ", in ", wait, ". Self-service alternatives can start sooner.",
	])
	c = {
		"id": "outside_support_hours",
		"kind": "lead_time",
		"severity": "medium",
		"title": sprintf("%s h until support opens", [util.num(data.gatekeeper.lib.context.support_wait_hours)]),
		"summary": summary,
		"lead_time_hours": data.gatekeeper.lib.context.support_wait_hours,
		"earliest_start": data.gatekeeper.lib.context.support_opens_at,
		"rule": "gatekeeper.rules.support_hours.consequences",
	}
}

# METADATA
# title: The grant starts when support opens
# custom:
#   code: GK-SUP-002
conditions contains c if {
	_waits
	summary = sprintf("The grant starts at %s, when support opens.", [data.gatekeeper.lib.context.support_opens_at])
	c = {
		"id": "starts_when_support_opens",
		"summary": summary,
		"earliest_start": data.gatekeeper.lib.context.support_opens_at,
		"rule": "gatekeeper.rules.support_hours.conditions",
	}
}

# METADATA
# title: Waiting for support is a consequence the requester can accept
# custom:
#   code: GK-SUP-003
outcomes contains {"outcome": "allow_with_consequences", "rule": "gatekeeper.rules.support_hours.outcomes"} if _waits

# METADATA
# title: Why support hours apply
# custom:
#   code: GK-SUP-001
reasons contains {"rule": "gatekeeper.rules.support_hours.consequences", "code": "GK-SUP-001", "message": message} if {
	_waits
	message = concat("", [
		"Requested start ", data.gatekeeper.lib.context.start, " is outside support hours (", _hours_text,
		"); support opens ", data.gatekeeper.lib.context.support_opens_at, ".",
	])
}
