# METADATA
# title: Support hours
# description: |
#   A grant that an MSP engineer must set up waits for the customer's support hours. Outside
#   them the request gets a lead time until support opens; self-service alternatives can
#   happen sooner. Honoured emergencies go to the on-call engineer and do not wait;
#   rules.emergency names the skipped wait.
package gatekeeper.rules.support_hours

import rego.v1

import data.gatekeeper.lib.times

# The entry point builds every rule of every rules package, and each rule costs even when it
# fails at once: the package has one helper, _wait, undefined unless the grant waits for
# support hours. It holds the answers.
_wait := {"consequence": c, "condition": condition, "message": message} if {
	data.gatekeeper.lib.context.waits_for_support
	hours_text = data.gatekeeper.lib.context.support_hours_text
	wait_hours = data.gatekeeper.lib.context.support_wait_hours
	opens_at = data.gatekeeper.lib.context.support_opens_at
	opens_text = data.gatekeeper.lib.context.grant_start_text
	wait = times.hours_words(wait_hours).text

	# concat, not sprintf: hours_text is built by concat, which one engine quotes in sprintf.
	summary = concat("", [
		"Your support hours are ", hours_text, ". ", data.gatekeeper.lib.context.support_closures_text,
		"One of our engineers can set this up when support opens: ", opens_text, ", in ", wait,
		". Self-service options can start sooner.",
	])
	c = {
		"id": "outside_support_hours",
		"kind": "lead_time",
		"severity": "medium",
		"title": sprintf("%s until support opens", [wait]),
		"summary": summary,
		"lead_time_hours": wait_hours,
		"earliest_start": opens_at,
		"rule": "gatekeeper.rules.support_hours.consequences",
	}
	condition_summary = concat("", ["Your access starts when support opens: ", opens_text, "."])
	condition = {
		"id": "starts_when_support_opens",
		"summary": condition_summary,
		"earliest_start": opens_at,
		"rule": "gatekeeper.rules.support_hours.conditions",
	}
	message = concat("", [
		"Requested start ", data.gatekeeper.lib.context.start, " is outside support hours (", hours_text,
		"); support opens ", opens_at, ".",
	])
}

# METADATA
# title: Waiting for support hours
# custom:
#   code: GK-SUP-001
consequences contains c if {
	c = _wait.consequence
}

# METADATA
# title: The grant starts when support opens
# custom:
#   code: GK-SUP-002
conditions contains c if {
	c = _wait.condition
}

# METADATA
# title: Waiting for support is a consequence the requester can accept
# custom:
#   code: GK-SUP-003
outcomes contains {"outcome": "allow_with_consequences", "rule": "gatekeeper.rules.support_hours.outcomes"} if _wait

# METADATA
# title: Why support hours apply
# custom:
#   code: GK-SUP-001
reasons contains {"rule": "gatekeeper.rules.support_hours.consequences", "code": "GK-SUP-001", "message": message} if {
	message = _wait.message
}

# METADATA
# title: What a wait for support will produce, from guards that cannot fail
# description: |
#   The keys of the elements above, for the entry point to check that none went missing
#   (docs/policy-contract.md, "Announced elements"). Written apart from _wait on purpose.
# custom:
#   code: GK-SUP-004
announced contains k if {
	data.gatekeeper.lib.context.waits_for_support
	some k in [
		"consequences:outside_support_hours", "conditions:starts_when_support_opens",
		"outcomes:allow_with_consequences", "reasons:GK-SUP-001",
	]
}
