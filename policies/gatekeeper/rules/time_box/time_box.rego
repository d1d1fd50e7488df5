# METADATA
# title: Time box
# description: |
#   Every grant is time-boxed: it starts at the requested start and ends after the requested
#   duration, capped at the access level's max_duration_hours.
package gatekeeper.rules.time_box

import rego.v1

import data.gatekeeper.lib.times
import data.gatekeeper.lib.util

# The entry point builds every rule of every rules package, and each rule costs: the package
# has one helper, _box, that formats every time and number once and holds both answers.
_box := {"condition": c, "message": message} if {
	starts_at = data.gatekeeper.lib.context.grant_starts_at
	ends_at = times.format(data.gatekeeper.lib.context.end_ns)
	duration = data.gatekeeper.lib.context.duration_hours
	words = times.hours_words(duration)

	# concat, not sprintf: the times in words are built by concat, which one engine quotes in sprintf.
	summary = concat("", [
		"Your access starts ", data.gatekeeper.lib.context.grant_start_text,
		". It ends by itself after ", words.text, ", at ",
		data.gatekeeper.lib.context.end_text, ".", _cap_text(input.request.duration_hours, words.text),
	])
	c = {
		"id": "time_box",
		"summary": summary,
		"starts_at": starts_at,
		"ends_at": ends_at,
		"duration_hours": duration,
		"rule": "gatekeeper.rules.time_box.conditions",
	}
	max_hours = data.gatekeeper.lib.context.access_level.max_duration_hours
	message = sprintf("Time box of %s h ending %s (at most %s h for %s).", [words.num, ends_at, util.num(max_hours), input.request.access])
}

# Capped, the duration is the access level's maximum: max_text is its hours in words.
_cap_text(requested, max_text) := sprintf(" You asked for %s hours, but this access lasts %s at most.", [util.num(requested), max_text]) if {
	data.gatekeeper.lib.context.duration_capped
} else := ""

# METADATA
# title: The grant ends automatically
# custom:
#   code: GK-TB-001
conditions contains c if {
	c = _box.condition
}

# METADATA
# title: Why the grant is time-boxed
# custom:
#   code: GK-TB-001
reasons contains {"rule": "gatekeeper.rules.time_box.conditions", "code": "GK-TB-001", "message": message} if {
	message = _box.message
}

# METADATA
# title: What every grant will produce
# description: |
#   The keys of the elements above, for the entry point to check that none went missing
#   (docs/policy-contract.md, "Announced elements"): every request is time-boxed.
# custom:
#   code: GK-TB-002
announced contains k if {
	some k in ["conditions:time_box", "reasons:GK-TB-001"]
}
