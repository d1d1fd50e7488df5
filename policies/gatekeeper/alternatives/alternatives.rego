# METADATA
# title: Alternatives
# description: |
#   Catalogue alternatives that fulfil the request's purpose (other than the access level
#   requested), with lead times adjusted for support hours and change freezes, scored for the
#   customer's preferences and ranked best first. Each says why it ranks where it does.
#
#   Score (whole points): speed points 24 - min(lead time, 24); completeness points
#   8 x completeness; the customer's priority counts three times. +15 when the involvement
#   matches the customer's, +30 when the downtime is within what the customer tolerates.
#   Ties are broken by id. An urgent request (urgency high or emergency) ranks for speed,
#   whatever the customer's usual priority (context.preferences), and each `why` says so.
#
#   Each says who must sign off a follow-up request that takes it (`approval`, from the
#   alternative's `approval` block in data.catalog): the ledger does not decide it.
#
#   Speed: `rank` is a function of data only, so gatekeeper.views ranks every customer,
#   purpose and requested access level once when the bundle loads (data.views.alternatives).
#   A request reads that list unless an alternative waits (support closed, a change freeze),
#   and then ranks for itself with the same function.
package gatekeeper.alternatives

import rego.v1

import data.gatekeeper.lib.util

# Full paths, not an imported package: regorus-rvm builds the whole package for
# `imported.rule` (three times slower here).

# Hours an alternative that needs MSP staff waits for support hours.
_staff_wait := data.gatekeeper.lib.context.support_wait_hours if {
	not data.gatekeeper.lib.context.emergency
	not data.gatekeeper.lib.context.support_open
} else := 0

# Hours until the change freeze ends, for an alternative that changes the system.
_freeze_wait := data.gatekeeper.lib.context.freeze_wait_hours if {
	not data.gatekeeper.lib.context.emergency
	data.gatekeeper.lib.context.blocking_freeze
} else := 0

# METADATA
# title: Alternatives ranked for the customer's preferences, best first
# description: |
#   The bundle view when nothing waits, else ranked here for this request's waits. A missing
#   view (a bundle loaded without views, or a test replacing data) also ranks here, and so
#   does an urgent request (urgency high or emergency), which ranks for speed.
# custom:
#   code: GK-ALT-003
ranked := list if {
	_staff_wait == 0
	_freeze_wait == 0
	not data.gatekeeper.lib.context.urgent
	profile = data.views.profiles[input.request.customer]
	list = data.views.alternatives[ranking_key(profile, input.request.purpose, input.request.access)]
} else := rank(data.gatekeeper.lib.context.preferences, input.request.purpose, input.request.access, _staff_wait, _freeze_wait)

# METADATA
# title: Key of a preference profile, purpose and access level in data.views.alternatives
# description: The one place the key's format is written; gatekeeper.views shares it.
# custom:
#   code: GK-ALT-005
ranking_key(profile, purpose, access) := concat("|", [profile, purpose, access])

# METADATA
# title: Catalogue alternatives for a customer's preferences, purpose and requested access
# description: |
#   Best first. prefs are the customer's preferences with defaults (context.preferences_of):
#   the only thing about the customer the ranking uses. Alternatives that fulfil the purpose,
#   other than the access level requested and with an approval block. staff_wait and freeze_wait are the hours an alternative that needs MSP
#   staff, or that changes the system, waits before it can start. The bundle views call it
#   with no waits; a request that waits calls it with its own.
# custom:
#   code: GK-ALT-001
rank(prefs, purpose, access, staff_wait, freeze_wait) := list if {
	entries = {key: e |
		some id
		alt = data.catalog.alternatives[id]
		purpose in alt.fulfils
		alt.access != access
		approval = approval_of(alt)
		some e in [_entry(id, alt, approval, prefs, staff_wait, freeze_wait)]
		key = e.key
	}
	order = sort([key | some key; entries[key]])

	# One generator, then look-ups (comprehensions with several generators are not ordered
	# alike on every engine). Names differ from the comprehension above, and the order is
	# sorted from an array and the position computed before the call: regopy otherwise binds
	# the wrong values.
	list = [a | some i; k = order[i]; entry = entries[k]; position = i + 1; a = _ranked_entry(position, entry)]
}

# The alternative as the decision shows it, at (1-based) position of the ranking.
_ranked_entry(position, e) := a if {
	item = e.alt

	# Built in the body, not the head: see "regorus RVM" in docs/policy-contract.md.
	a = {
		"id": e.id,
		"title": item.title,
		"summary": item.summary,
		"fulfils": item.fulfils,
		"access": item.access,
		"lead_time_hours": e.lead,
		"downtime_hours": item.downtime_hours,
		"completeness": item.completeness,
		"involvement": item.involvement,
		"conditions": object.get(item, "conditions", []),
		"approval": e.approval,
		"score": e.score,
		"rank": position,
		"why": concat("", ["Rank ", format_int(position, 10), " for you: ", e.reasons, "."]),
		"rule": "gatekeeper.alternatives.ranked",
	}
}

# One alternative for these preferences and waits: its sort key (best score first, then id,
# zero-padded because some engines sort numbers as text), lead time, score and reasons text.
_entry(id, alt, approval, prefs, staff_wait, freeze_wait) := e if {
	staff_waits = {true: staff_wait, false: 0}
	support_wait = staff_waits[alt.needs_msp_staff]
	freeze_waits = {true: freeze_wait, false: 0}
	system_wait = freeze_waits[alt.changes_system]
	waited = alt.lead_time_hours + support_wait
	longer = {true: system_wait, false: waited}
	lead = longer[system_wait > waited]
	s = score(alt, lead, prefs)
	wait_texts = _wait_texts[support_wait > 0]
	involvement_texts = _involvement_texts[prefs.involvement]

	# concat, not sprintf: regopy quotes strings computed by functions inside sprintf.
	reasons = concat("", [
		_priority_text(alt, lead, prefs), wait_texts[system_wait > 0], ", ",
		_downtime_text(alt, prefs), "; ", involvement_texts[alt.involvement],
	])
	e = {
		"key": sprintf("%06d|%s", [999999 - s, id]), "id": id, "alt": alt, "lead": lead,
		"score": s, "approval": approval, "reasons": reasons,
	}
}

# Weights of speed and completeness points: the customer's priority counts three times.
_weights := {"speed": [3, 1], "completeness": [1, 3]}

# Look-up tables for branch-free choices.
_involvement_points := {true: 15, false: 0}

_downtime_points := {true: 30, false: 0}

# METADATA
# title: Score of an alternative for a customer's preferences (higher is better)
# custom:
#   code: GK-ALT-002
score(alt, lead, prefs) := round((weighted + involvement) + downtime) if {
	weights = _weights[prefs.priority]
	capped = {true: 24, false: lead}
	speed = 24 - capped[lead > 24]
	weighted = (weights[0] * speed) + (weights[1] * (alt.completeness * 8))
	involvement = _involvement_points[alt.involvement == prefs.involvement]
	downtime = _downtime_points[alt.downtime_hours <= prefs.tolerated_downtime_hours]
}

# METADATA
# title: Who signs off a follow-up request that takes the alternative
# description: |
#   The catalogue's approval block in the decision's form: roles sorted, and no roles and a
#   count of 0 when no approval is required (the schema allows nothing else then).
#   Undefined for an alternative without an approval block, which is then not offered.
# custom:
#   code: GK-ALT-004
approval_of(alt) := a if {
	spec = alt.approval
	required = spec.required
	roles = sort(object.get(spec, "roles", []))
	n = object.get(spec, "count", 0)
	a = {"required": required, "roles": roles, "count": n}
}

_coverage := {"1": "part", "2": "most", "3": "all"}

_priority_text(alt, lead, prefs) := "it is urgent and it can be in place at once" if {
	object.get(prefs, "urgent", false)
	lead == 0
} else := sprintf("it is urgent and it can be in place in %s", [util.hours_text(lead)]) if {
	object.get(prefs, "urgent", false)
} else := "you prefer speed and it can be in place at once" if {
	prefs.priority == "speed"
	lead == 0
} else := sprintf("you prefer speed and it can be in place in %s", [util.hours_text(lead)]) if {
	prefs.priority == "speed"
} else := sprintf("you prefer completeness and it covers %s of the need", [_coverage[format_int(alt.completeness, 10)]])

_downtime_text(alt, prefs) := "with no downtime" if {
	alt.downtime_hours == 0
} else := sprintf("with %s of downtime, within the %s you tolerate", [util.hours_text(alt.downtime_hours), util.num(prefs.tolerated_downtime_hours)]) if {
	alt.downtime_hours <= prefs.tolerated_downtime_hours
} else := sprintf("with %s of downtime, more than the %s you tolerate", [util.hours_text(alt.downtime_hours), util.num(prefs.tolerated_downtime_hours)])

# Texts by the customer's preferred involvement, then the alternative's.
_involvement_texts := {
	"delegate": {
		"delegate": "the MSP does the work, as you prefer to delegate",
		"detail": "it needs your hands-on involvement, though you prefer to delegate",
	},
	"detail": {
		"delegate": "the MSP does the work, so you see less detail than you prefer",
		"detail": "you stay hands-on, as you prefer to be involved in detail",
	},
}

# By "waits for support hours", then "waits for the change freeze".
_wait_texts := {
	true: {true: " (it waits for support hours)", false: " (it waits for support hours)"},
	false: {true: " (it waits for the change freeze to end)", false: ""},
}
