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
package gatekeeper.alternatives

import rego.v1

import data.gatekeeper.lib.context
import data.gatekeeper.lib.util

_rule := "gatekeeper.alternatives.ranked"

_prefs := context.preferences

# METADATA
# title: Ids of catalogue alternatives that fulfil the purpose
# custom:
#   code: GK-ALT-001
candidate_ids contains id if {
	alt := data.catalog.alternatives[id]
	input.request.purpose in alt.fulfils
	alt.access != input.request.access
}

_support_wait(alt) := context.support_wait_hours if {
	alt.needs_msp_staff
	not context.emergency
	not context.support_open
} else := 0

_after_freeze(alt, lead) := util.max_of([lead, context.freeze_wait_hours]) if {
	alt.changes_system
	not context.emergency
	context.blocking_freeze
} else := lead

_lead(alt) := _after_freeze(alt, alt.lead_time_hours + _support_wait(alt))

_speed_points(lead) := 24 - util.min_of([lead, 24])

_completeness_points(alt) := alt.completeness * 8

_involvement_points(alt) := 15 if alt.involvement == _prefs.involvement else := 0

_downtime_points(alt) := 30 if alt.downtime_hours <= _prefs.tolerated_downtime_hours else := 0

_weighted(alt, lead) := (3 * _speed_points(lead)) + _completeness_points(alt) if {
	_prefs.priority == "speed"
} else := _speed_points(lead) + (3 * _completeness_points(alt))

# METADATA
# title: Score of an alternative for this customer (higher is better)
# custom:
#   code: GK-ALT-002
score(alt, lead) := round((_weighted(alt, lead) + _involvement_points(alt)) + _downtime_points(alt))

# Sort keys are zero-padded text: some engines sort numbers as text.
_scored[id] := {"lead": lead, "score": s, "key": key} if {
	candidate_ids[id]
	alt := data.catalog.alternatives[id]
	lead := _lead(alt)
	s := score(alt, lead)
	inverted := 999999 - s
	key := sprintf("%06d|%s", [inverted, id])
}

_order := sort([s.key | some s in _scored])

_coverage := {"1": "part", "2": "most", "3": "all"}

_speed_text(0) := "you prefer speed and it can be in place at once"

_speed_text(lead) := sprintf("you prefer speed and it can be in place in %s", [util.hours_text(lead)]) if lead != 0

_priority_text(alt, lead) := _speed_text(lead) if {
	_prefs.priority == "speed"
} else := text if {
	level := format_int(alt.completeness, 10)
	text := sprintf("you prefer completeness and it covers %s of the need", [_coverage[level]])
}

_downtime_text(alt) := "with no downtime" if {
	alt.downtime_hours == 0
} else := text if {
	alt.downtime_hours <= _prefs.tolerated_downtime_hours
	text := sprintf("with %s of downtime, within the %s you tolerate", [util.hours_text(alt.downtime_hours), util.num(_prefs.tolerated_downtime_hours)])
} else := sprintf("with %s of downtime, more than the %s you tolerate", [util.hours_text(alt.downtime_hours), util.num(_prefs.tolerated_downtime_hours)])

_involvement_text(alt) := "the MSP does the work, as you prefer to delegate" if {
	alt.involvement == "delegate"
	_prefs.involvement == "delegate"
} else := "you stay hands-on, as you prefer to be involved in detail" if {
	alt.involvement == "detail"
	_prefs.involvement == "detail"
} else := "it needs your hands-on involvement, though you prefer to delegate" if {
	alt.involvement == "detail"
} else := "the MSP does the work, so you see less detail than you prefer"

_wait_text(alt) := " (it waits for support hours)" if {
	_support_wait(alt) > 0
} else := " (it waits for the change freeze to end)" if {
	_after_freeze(alt, 0) > 0
} else := ""

_why(alt, lead, rank) := text if {
	p := _priority_text(alt, lead)
	d := _downtime_text(alt)
	i := _involvement_text(alt)
	w := _wait_text(alt)
	text := sprintf("Rank %d for you: %s%s, %s; %s.", [rank, p, w, d, i])
}

_entry(id, rank) := {
	"id": id,
	"title": alt.title,
	"summary": alt.summary,
	"fulfils": alt.fulfils,
	"access": alt.access,
	"lead_time_hours": s.lead,
	"downtime_hours": alt.downtime_hours,
	"completeness": alt.completeness,
	"involvement": alt.involvement,
	"conditions": object.get(alt, "conditions", []),
	"score": s.score,
	"rank": rank,
	"why": _why(alt, s.lead, rank),
	"rule": _rule,
} if {
	alt := data.catalog.alternatives[id]
	s := _scored[id]
}

# METADATA
# title: Alternatives ranked for the customer's preferences, best first
# custom:
#   code: GK-ALT-003
ranked := [_entry(_id_of_key[key], i + 1) | some i; key := _order[i]]

# One generator only: array comprehensions with several generators are not ordered alike on
# every engine.
_id_of_key := {s.key: id | some id in candidate_ids; s := _scored[id]}
