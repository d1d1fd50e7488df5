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
#   Ties are broken by id.
#
#   Each says who must sign off a follow-up request that takes it (`approval`, from the
#   alternative's `approval` block in data.catalog): the ledger does not decide it.
package gatekeeper.alternatives

import rego.v1

import data.gatekeeper.lib.util

# Speed: look-ups by a boolean or a text instead of helper functions keep this cheap; every
# figure is computed once per alternative, and once per query where it does not depend on it.

_prefs := data.gatekeeper.lib.context.preferences

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

_waits := {true: _staff_wait, false: 0}

_freeze_waits := {true: _freeze_wait, false: 0}

# Weights of speed and completeness points: the customer's priority counts three times.
_weights := w if {
	table := {"speed": [3, 1], "completeness": [1, 3]}
	w = table[_prefs.priority]
}

# Look-up tables for branch-free choices. Indexed one level per expression: regorus takes a
# slow path for a literal indexed directly and for a rule indexed twice with a non-text key.
_involvement_points := {true: 15, false: 0}

_downtime_points := {true: 30, false: 0}

# METADATA
# title: Ids of catalogue alternatives that fulfil the purpose
# custom:
#   code: GK-ALT-001
candidate_ids contains id if {
	alt = data.catalog.alternatives[id]
	input.request.purpose in alt.fulfils
	alt.access != input.request.access
}

# METADATA
# title: Score of an alternative for this customer (higher is better)
# custom:
#   code: GK-ALT-002
score(alt, lead) := round((weighted + involvement) + downtime) if {
	capped = {true: 24, false: lead}
	speed = 24 - capped[lead > 24]
	weighted = (_weights[0] * speed) + (_weights[1] * (alt.completeness * 8))
	involvement = _involvement_points[alt.involvement == _prefs.involvement]
	downtime = _downtime_points[alt.downtime_hours <= _prefs.tolerated_downtime_hours]
}

# METADATA
# title: Who signs off a follow-up request that takes the alternative
# description: |
#   The catalogue's approval block in the decision's form: roles sorted, and no roles and a
#   count of 0 when no approval is required (the schema allows nothing else then).
# custom:
#   code: GK-ALT-004
approval_of[id] := a if {
	some id in candidate_ids
	spec = data.catalog.alternatives[id].approval
	required = spec.required
	roles = sort(object.get(spec, "roles", []))
	n = object.get(spec, "count", 0)
	a = {"required": required, "roles": roles, "count": n}
}

# Keyed by zero-padded text (best score first, then id): some engines sort numbers as text.
_by_key[key] := {"id": id, "alt": alt, "lead": lead, "score": s, "reasons": reasons, "approval": approval} if {
	some id in candidate_ids
	alt = data.catalog.alternatives[id]
	approval = approval_of[id]
	support_wait = _waits[alt.needs_msp_staff]
	freeze_wait = _freeze_waits[alt.changes_system]
	waited = alt.lead_time_hours + support_wait
	longer = {true: freeze_wait, false: waited}
	lead = longer[freeze_wait > waited]
	s = score(alt, lead)
	key = sprintf("%06d|%s", [999999 - s, id])
	wait_texts = _wait_texts[support_wait > 0]
	reasons = sprintf("%s%s, %s; %s", [
		_priority_text(alt, lead), wait_texts[freeze_wait > 0],
		_downtime_text(alt), _involvement_texts[alt.involvement],
	])
}

_coverage := {"1": "part", "2": "most", "3": "all"}

_priority_text(alt, lead) := "you prefer speed and it can be in place at once" if {
	_prefs.priority == "speed"
	lead == 0
} else := sprintf("you prefer speed and it can be in place in %s", [util.hours_text(lead)]) if {
	_prefs.priority == "speed"
} else := sprintf("you prefer completeness and it covers %s of the need", [_coverage[format_int(alt.completeness, 10)]])

_downtime_text(alt) := "with no downtime" if {
	alt.downtime_hours == 0
} else := sprintf("with %s of downtime, within the %s you tolerate", [util.hours_text(alt.downtime_hours), util.num(_prefs.tolerated_downtime_hours)]) if {
	alt.downtime_hours <= _prefs.tolerated_downtime_hours
} else := sprintf("with %s of downtime, more than the %s you tolerate", [util.hours_text(alt.downtime_hours), util.num(_prefs.tolerated_downtime_hours)])

# Texts by the alternative's involvement, for the customer's preferred involvement.
_involvement_texts := texts if {
	table := {
		"delegate": {
			"delegate": "the MSP does the work, as you prefer to delegate",
			"detail": "it needs your hands-on involvement, though you prefer to delegate",
		},
		"detail": {
			"delegate": "the MSP does the work, so you see less detail than you prefer",
			"detail": "you stay hands-on, as you prefer to be involved in detail",
		},
	}
	texts = table[_prefs.involvement]
}

# By "waits for support hours", then "waits for the change freeze".
_wait_texts := {
	true: {true: " (it waits for support hours)", false: " (it waits for support hours)"},
	false: {true: " (it waits for the change freeze to end)", false: ""},
}

_order := sort([key | _by_key[key]])

# METADATA
# title: Alternatives ranked for the customer's preferences, best first
# custom:
#   code: GK-ALT-003
ranked := [alt |
	# One generator only: array comprehensions with several generators are not ordered alike
	# on every engine.
	some i
	key = _order[i]

	# A separate look-up: regopy 1.5.2 yields nothing for _by_key[_order[i]].
	e = _by_key[key]

	# Built in the body, not the head: see "regorus RVM" in docs/policy-contract.md.
	alt = {
		"id": e.id,
		"title": e.alt.title,
		"summary": e.alt.summary,
		"fulfils": e.alt.fulfils,
		"access": e.alt.access,
		"lead_time_hours": e.lead,
		"downtime_hours": e.alt.downtime_hours,
		"completeness": e.alt.completeness,
		"involvement": e.alt.involvement,
		"conditions": object.get(e.alt, "conditions", []),
		"approval": e.approval,
		"score": e.score,
		"rank": i + 1,
		"why": sprintf("Rank %d for you: %s.", [i + 1, e.reasons]),
		"rule": "gatekeeper.alternatives.ranked",
	}
]
