# METADATA
# title: Time box
# description: |
#   Every grant is time-boxed: it starts at the requested start and ends after the requested
#   duration, capped at the access level's max_duration_hours.
package gatekeeper.rules.time_box

import rego.v1

import data.gatekeeper.lib.times
import data.gatekeeper.lib.util

_starts_at := times.format(data.gatekeeper.lib.context.grant_start_ns)

_ends_at := times.format(data.gatekeeper.lib.context.end_ns)

_cap_text := text if {
	data.gatekeeper.lib.context.duration_capped
	text = sprintf(" (capped from the %s hours requested)", [util.num(input.request.duration_hours)])
}

else := ""

# METADATA
# title: The grant ends automatically
# custom:
#   code: GK-TB-001
conditions contains c if {
	summary = sprintf(
		"Access runs from %s and ends automatically at %s, after %s%s.",
		[_starts_at, _ends_at, util.hours_text(data.gatekeeper.lib.context.duration_hours), _cap_text],
	)
	c = {
		"id": "time_box",
		"summary": summary,
		"starts_at": _starts_at,
		"ends_at": _ends_at,
		"duration_hours": data.gatekeeper.lib.context.duration_hours,
		"rule": "gatekeeper.rules.time_box.conditions",
	}
}

# METADATA
# title: Why the grant is time-boxed
# custom:
#   code: GK-TB-001
reasons contains {"rule": "gatekeeper.rules.time_box.conditions", "code": "GK-TB-001", "message": message} if {
	max_hours = data.gatekeeper.lib.context.access_level.max_duration_hours
	message = sprintf("Time box of %s h ending %s (at most %s h for %s).", [util.num(data.gatekeeper.lib.context.duration_hours), _ends_at, util.num(max_hours), input.request.access])
}
