# METADATA
# title: Alternatives
# description: |
#   Catalogue alternatives that fulfil the request's purpose (other than the access level
#   requested), with lead times adjusted for support hours and change freezes, ranked best
#   first for the customer's preferences. Each says why it ranks where it does.
#
#   Order (lexicographic, see `criteria`): downtime within what the customer tolerates first;
#   then the customer's priority (speed: shortest lead time; completeness: most complete);
#   then an involvement that matches the customer's; then the other of speed and
#   completeness; then the id. An urgent request (urgency high or emergency) ranks for speed,
#   whatever the customer's usual priority (context.preferences), and each `why` says so.
#   `why` names the first criterion on which the alternative differs from its neighbour
#   (rank 1 from rank 2, rank k from rank k-1), so it is true by construction.
#
#   Each says who must sign off a follow-up request that takes it (`approval`, from the
#   alternative's `approval` block in data.catalog): the ledger does not decide it.
#
#   Speed: `rank` is a function of data only, so gatekeeper.views ranks every customer,
#   purpose and requested access level once when the bundle loads (data.views.alternatives,
#   and data.views.urgent_alternatives for an urgent request). A request reads that list
#   unless an alternative waits (support closed, a change freeze); then it ranks the view's
#   `candidates` (data.views.alternative_candidates, all that does not depend on the waits)
#   for its waits, as `rank` does.
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
#   Nothing waiting: the bundle view (data.views.alternatives, or data.views.urgent_alternatives
#   for an urgent request, which ranks for speed). A request that waits ranks the view's
#   candidates (data.views.alternative_candidates) for its waits. A missing view (a bundle
#   loaded without views, or a test replacing data) ranks here from the catalogue.
# custom:
#   code: GK-ALT-003
ranked := list if {
	_staff_wait == 0
	_freeze_wait == 0
	not data.gatekeeper.lib.context.urgent
	profile = data.views.profiles[input.request.customer]
	list = data.views.alternatives[ranking_key(profile, input.request.purpose, input.request.access)]
} else := list if {
	_staff_wait == 0
	_freeze_wait == 0
	data.gatekeeper.lib.context.urgent
	profile = data.views.profiles[input.request.customer]
	list = data.views.urgent_alternatives[ranking_key(profile, input.request.purpose, input.request.access)]
} else := list if {
	profile = data.views.profiles[input.request.customer]
	key = candidates_key(profile, input.request.purpose, input.request.access, _urgent)
	list = _rank_candidates(data.views.alternative_candidates[key], _staff_wait, _freeze_wait)
} else := rank(data.gatekeeper.lib.context.preferences, input.request.purpose, input.request.access, _staff_wait, _freeze_wait)

_urgent := true if data.gatekeeper.lib.context.urgent

else := false

# METADATA
# title: Key of a preference profile, purpose and access level in data.views.alternatives
# description: The one place the key's format is written; gatekeeper.views shares it.
# custom:
#   code: GK-ALT-005
ranking_key(profile, purpose, access) := concat("|", [profile, purpose, access])

# METADATA
# title: Key of a profile, purpose, access level and urgency in data.views.alternative_candidates
# description: The one place the key's format is written; gatekeeper.views shares it.
# custom:
#   code: GK-ALT-008
candidates_key(profile, purpose, access, urgent) := concat("|", [profile, purpose, access, _urgency_names[urgent]])

_urgency_names := {true: "urgent", false: "usual"}

# METADATA
# title: Catalogue alternatives for a customer's preferences, purpose and requested access
# description: |
#   Best first. prefs are the customer's preferences with defaults (context.preferences_of):
#   the only thing about the customer the ranking uses. Alternatives that fulfil the purpose,
#   other than the access level requested and with an approval block. staff_wait and freeze_wait are the hours an alternative that needs MSP
#   staff, or that changes the system, waits before it can start. The bundle views call it
#   with no waits; a request that waits ranks the view's `candidates` for its own.
# custom:
#   code: GK-ALT-001
rank(prefs, purpose, access, staff_wait, freeze_wait) := _rank_candidates(_candidates(prefs, purpose, access), staff_wait, freeze_wait)

# METADATA
# title: The alternatives a ranking orders, with all of each that does not depend on waits
# description: |
#   For a customer's preferences, purpose and requested access (see `rank`), in no particular
#   order: each alternative as the decision shows it but for its lead time, rank and `why`
#   (`shown`); its criteria values with no wait; its sort key with a "{speed}" placeholder;
#   for each other candidate, the criterion `why` names when the two are neighbours, with
#   equal lead times ("same") or not ("differ"); its lead time in words with no wait. A
#   function of data only: gatekeeper.views keeps it for every preference profile, purpose,
#   access level and urgency (data.views.alternative_candidates), so a request that waits
#   computes only lead times, the order and the texts.
# custom:
#   code: GK-ALT-007
candidates(prefs, purpose, access) := list if {
	alone = _candidates(prefs, purpose, access)
	list = [c | some a in alone; some c in [_with_pairs(a, alone)]]
}

# The candidates without what only saves work when kept in a view (see `candidates`): what
# `rank` ranks at once.
_candidates(prefs, purpose, access) := list if {
	# The criteria before the id, looked up once here, not once per entry and comparison.
	order_of_criteria = [c0 | some c0 in criteria(prefs.priority); c0 != "id"]
	fitting = {id: approval |
		some id
		alt = data.catalog.alternatives[id]
		purpose in alt.fulfils
		alt.access != access
		approval = approval_of(alt)
	}

	# The highest completeness (a bound, for no entries): it does not depend on waits.
	comps = [c | some id2; fitting[id2]; c = data.catalog.alternatives[id2].completeness]
	most = util.max_of(array.concat(comps, [0]))
	list = [e |
		some id3
		fitting[id3]
		some e in [_candidate(id3, data.catalog.alternatives[id3], fitting[id3], prefs, order_of_criteria, most)]
	]
}

# The candidate with, for each other candidate, the criterion `why` names when they are
# neighbours: "same" when their lead times are equal in minutes, "differ" when not.
_with_pairs(c, alone) := object.union(c, {"pairs": pairs, "lead_text": lead_text}) if {
	pairs = {id: p | some o in alone; id = o.id; id != c.id; some p in [_pair(c, o)]}
	lead_text = _in_time(c.lead_time_hours)
}

_pair(c, o) := {"same": _deciding(c0, o0), "differ": _deciding(c0, o1)} if {
	# The value in the head: regopy 1.5.2 crashed compiling `p = {"same": same}` here.
	c0 = _with_speed(c, "0")
	o0 = _with_speed(o, "0")
	o1 = _with_speed(o, "1")
}

_with_speed(c, speed) := {"criteria": c.criteria, "values": object.union(c.values, {"speed": speed})}

# One alternative for these preferences, with no wait: see `candidates`.
_candidate(id, alt, approval, prefs, order_of_criteria, most) := e if {
	lead = alt.lead_time_hours
	values = _criteria_values(alt, lead, prefs)
	placeholder = object.union(values, {"speed": "{speed}"})
	key = _sort_key(placeholder, order_of_criteria, id)
	e = {
		"id": id,
		"needs_msp_staff": alt.needs_msp_staff,
		"changes_system": alt.changes_system,
		"lead_time_hours": alt.lead_time_hours,
		"values": values,
		"criteria": order_of_criteria,
		"key": key,
		"shown": {
			"id": id,
			"title": alt.title,
			"summary": alt.summary,
			"fulfils": alt.fulfils,
			"access": alt.access,
			"downtime_hours": alt.downtime_hours,
			"completeness": alt.completeness,
			"involvement": alt.involvement,
			"conditions": object.get(alt, "conditions", []),
			"approval": approval,
			"rule": "gatekeeper.alternatives.ranked",
		},
		"prefs": prefs,
		"most": most,
		"urgent_text": _urgent_texts[object.get(prefs, "urgent", false)],
	}
}

# Candidates ranked for the waits: each one's lead time, then the order, then the texts.
_rank_candidates(cands, staff_wait, freeze_wait) := list if {
	staff_waits = {true: staff_wait, false: 0}
	freeze_waits = {true: freeze_wait, false: 0}
	entries = {key: e |
		some c in cands
		some e in [_entry(c, staff_waits, freeze_waits)]
		key = e.key
	}
	order = sort([key | some key; entries[key]])

	# One generator, then look-ups (comprehensions with several generators are not ordered
	# alike on every engine). Names differ from the comprehension above, and the order is
	# sorted from an array and the position computed before the call: regopy otherwise binds
	# the wrong values.
	#
	# The entry `why` compares each with: rank 1 with rank 2 ({} when alone), rank k with
	# rank k-1, i.e. neighbours[i] with neighbours = [rank 2 or {}] + the ranked entries.
	# Built once as a list: a function call per entry cost regorus-rvm ~10 µs each.
	ranked_entries = [e | some k3 in order; some e in [entries[k3]]]
	neighbours = array.concat([_second_or_none(ranked_entries)], ranked_entries)
	list = [a |
		some i; entry = ranked_entries[i]; position = i + 1
		some other in [neighbours[i]]
		some text in [why(position, entry, other, ranked_entries)]
		some a in [object.union(entry.candidate.shown, {"lead_time_hours": entry.lead, "rank": position, "why": text})]
	]
}

# Rank 2, which rank 1 is compared with; {} when rank 1 is alone.
_second_or_none(ranked_entries) := ranked_entries[1] if {
	count(ranked_entries) > 1
} else := {}

# A candidate for these waits (staff_waits and freeze_waits map needing MSP staff and changing
# the system to hours): its lead time, what it waits for, its criteria values and sort key.
_entry(c, staff_waits, freeze_waits) := e if {
	support_wait = staff_waits[c.needs_msp_staff]
	system_wait = freeze_waits[c.changes_system]
	waited = c.lead_time_hours + support_wait
	longer = {true: system_wait, false: waited}
	lead = longer[system_wait > waited]
	waits = {true: "freeze", false: _support_wait_names[support_wait > 0]}
	speed = sprintf("%08d", [round(lead * 60)])
	e = {
		"key": replace(c.key, "{speed}", speed), "candidate": c, "lead": lead, "speed": speed,
		"waits": waits[system_wait > waited], "alt": c.shown, "prefs": c.prefs,
	}
}

_support_wait_names := {true: "support", false: ""}

# METADATA
# title: The ranking criteria, in the order they count, for a priority
# description: |
#   Lexicographic: downtime within what the customer tolerates first, then the customer's
#   priority (speed: the shortest lead time; completeness: the most complete), then an
#   involvement that matches the customer's, then the other of speed and completeness, then
#   the id. An urgent request has priority speed (context.preferences).
# custom:
#   code: GK-ALT-002
criteria(priority) := order if {
	orders = {
		"speed": ["downtime", "speed", "involvement", "completeness", "id"],
		"completeness": ["downtime", "completeness", "involvement", "speed", "id"],
	}
	order = orders[priority]
}

# Each criterion's value, smaller is better, as zero-padded text (some engines sort numbers
# as text): downtime 0 within tolerance; lead time in minutes; 0 for the involvement that
# matches; 9 - completeness.
_criteria_values(alt, lead, prefs) := v if {
	within = {true: "0", false: "1"}
	matches = {true: "0", false: "1"}
	v = {
		"downtime": within[alt.downtime_hours <= prefs.tolerated_downtime_hours],
		"speed": sprintf("%08d", [round(lead * 60)]),
		"involvement": matches[alt.involvement == prefs.involvement],
		"completeness": format_int(9 - alt.completeness, 10),
	}
}

# The sort key: the criteria values in the customer's order (the criteria before the id),
# then the id.
_sort_key(values, order_of_criteria, id) := key if {
	parts = [x | some i; c = order_of_criteria[i]; x = values[c]]
	key = concat("|", array.concat(parts, [id]))
}

# The first criterion, in the customer's order, on which two entries differ ("id" when none).
# util.min_of, not positions[0]: regopy does not keep this comprehension in array order.
_deciding(e, other) := c if {
	positions = [i | some i; c1 = e.criteria[i]; e.values[c1] != other.values[c1]]
	count(positions) > 0
	c = e.criteria[util.min_of(positions)]
} else := "id"

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

# METADATA
# title: Why an alternative ranks where it does, from the criterion that ordered it
# description: |
#   Rank 1 is compared with rank 2, rank k with rank k-1, on the first criterion in the
#   customer's order where they differ: the text names that criterion, so it is true by
#   construction. An urgent request says first that speed comes first.
# custom:
#   code: GK-ALT-006
why(position, e, other, ranked_entries) := text if {
	lead = _lead_text(e)
	some reason in [_reason(position, e, other, lead, ranked_entries)]
	body = concat("", [e.candidate.urgent_text, reason])
	text = concat("", [_head(position), lower(substring(body, 0, 1)), substring(body, 1, -1)])
}

_urgent_texts := {true: "This is urgent, so speed comes first. ", false: ""}

# An `else`, not an object literal indexed by `position == 1`: a literal builds every value.
_head(position) := "Best for you: " if position == 1

else := concat("", ["Rank ", format_int(position, 10), ": "])

# "at once" or "in 8 hours", plus what it waits for: the candidate's own when nothing waits
# (its lead time is then the catalogue's); else a wait of more than 0 hours, never "at once".
_lead_text(e) := t if {
	e.waits == ""
	t = e.candidate.lead_text
} else := concat("", ["in ", util.hours_text(e.lead), _wait_notes[e.waits]]) if {
	e.waits != ""
} else := _in_time(e.lead)

# An `else`, not an object literal indexed by `lead == 0`: a literal builds every value,
# so hours_text would be computed for every alternative available at once.
_in_time(lead) := "at once" if lead == 0

else := concat("", ["in ", util.hours_text(lead)])

_wait_notes := {
	"support": ", as it waits for support hours",
	"freeze": ", as it waits for the change freeze to end",
}

_reason(position, e, other, lead, ranked_entries) := t if {
	other == {}
	t = concat("", ["It is the only choice that does the job. It can be in place ", lead, "."])
} else := t if {
	# The position first: _deciding is then computed once for every rank.
	position == 1
	c = _deciding_neighbours(e, other)
	leads = [l | some x in ranked_entries; l = x.lead]
	fastest = util.min_of(array.concat(leads, [999999]))
	t = _best_reason(c, e, lead, fastest, e.candidate.most)
} else := t if {
	c = _deciding_neighbours(e, other)
	t = _lower_reason(c, e, lead, format_int(position - 1, 10))
}

# _deciding for two ranked entries, from the candidates' pairs: only speed depends on waits.
_deciding_neighbours(e, other) := c if {
	pair = e.candidate.pairs[other.candidate.id]
	c = pair[_speed_comparison[e.speed == other.speed]]
} else := _deciding(_with_speed(e.candidate, e.speed), _with_speed(other.candidate, other.speed))

_speed_comparison := {true: "same", false: "differ"}

# Rank 1, on the criterion where it beats rank 2.
_best_reason(c, e, lead, fastest, most) := concat("", ["Its downtime is within the ", util.hours_text(e.prefs.tolerated_downtime_hours), " you accept. It can be in place ", lead, "."]) if {
	c == "downtime"
} else := concat("", ["It is the fastest. It can be in place ", lead, "."]) if {
	c == "speed"
	e.prefs.priority == "speed"
	e.lead == fastest
} else := concat("", ["It is faster than the next choice. It can be in place ", lead, "."]) if {
	c == "speed"
	e.prefs.priority == "speed"
} else := concat("", ["It covers ", _coverage[format_int(e.alt.completeness, 10)], " of your need, the most of any choice."]) if {
	c == "completeness"
	e.prefs.priority == "completeness"
	e.alt.completeness == most
} else := concat("", ["It covers more of your need than the next choice."]) if {
	c == "completeness"
	e.prefs.priority == "completeness"
} else := concat("", [_tie_text(e, "the next choice", lead), " ", _involvement_best[e.alt.involvement]]) if {
	c == "involvement"
} else := concat("", [_tie_text(e, "the next choice", lead), " ", _other_best[e.prefs.priority]]) if {
	c != "id"
} else := "It is as good for you as the next choice. They are listed by name."

# Rank k, on the criterion where rank k-1 beats it.
_lower_reason(c, e, lead, above) := concat("", ["It has ", util.hours_text(e.alt.downtime_hours), " of downtime. That is more than the ", util.hours_text(e.prefs.tolerated_downtime_hours), " you accept."]) if {
	c == "downtime"
} else := concat("", ["It is slower than rank ", above, ". It can be in place ", lead, "."]) if {
	c == "speed"
	e.prefs.priority == "speed"
} else := concat("", ["It covers less of your need than rank ", above, ". It covers ", _coverage[format_int(e.alt.completeness, 10)], " of it."]) if {
	c == "completeness"
	e.prefs.priority == "completeness"
} else := concat("", [_tie_text(e, concat("", ["rank ", above]), lead), " ", _involvement_lower[e.alt.involvement]]) if {
	c == "involvement"
} else := concat("", [_tie_text(e, concat("", ["rank ", above]), lead), " But it covers less of your need."]) if {
	c == "completeness"
} else := concat("", [_tie_text(e, concat("", ["rank ", above]), lead), " But it takes longer. It can be in place ", lead, "."]) if {
	c == "speed"
} else := concat("", ["It is as good for you as rank ", above, ". They are listed by name."])

# What rank 1 and its neighbour share on the customer's priority.
_tie_text(e, whom, lead) := concat("", ["It is as fast as ", whom, ". It can be in place ", lead, "."]) if {
	e.prefs.priority == "speed"
} else := concat("", ["It covers as much of your need as ", whom, "."])

# Rank 1 wins on involvement: it is done the way the customer prefers.
_involvement_best := {
	"delegate": "And the MSP does the work, as you prefer.",
	"detail": "And you stay hands-on, as you prefer.",
}

# Rank k loses on involvement: it is done the other way.
_involvement_lower := {
	"delegate": "But the MSP does the work, and you prefer to stay hands-on.",
	"detail": "But you do the work, and you prefer to let the MSP do it.",
}

# Rank 1 wins on the other of speed and completeness.
_other_best := {
	"speed": "And it covers more of your need.",
	"completeness": "And it is faster.",
}

_coverage := {"1": "part", "2": "most", "3": "all"}
