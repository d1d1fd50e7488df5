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
	# The criteria before the id, looked up once here, not once per entry and comparison.
	order_of_criteria = [c0 | some c0 in criteria(prefs.priority); c0 != "id"]
	entries = {key: e |
		some id
		alt = data.catalog.alternatives[id]
		purpose in alt.fulfils
		alt.access != access
		approval = approval_of(alt)
		some e in [_entry(id, alt, approval, prefs, order_of_criteria, staff_wait, freeze_wait)]
		key = e.key
	}
	order = sort([key | some key; entries[key]])
	n = count(order)
	leads = [l | some k1 in order; some l in [entries[k1].lead]]
	comps = [c | some k2 in order; some c in [entries[k2].alt.completeness]]

	# The shortest lead time and the highest completeness (a bound each, for no entries).
	fastest = util.min_of(array.concat(leads, [999999]))
	most = util.max_of(array.concat(comps, [0]))

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
		some a in [_ranked_entry(position, entry, other, fastest, most)]
	]
}

# Rank 2, which rank 1 is compared with; {} when rank 1 is alone.
_second_or_none(ranked_entries) := ranked_entries[1] if {
	count(ranked_entries) > 1
} else := {}

# The alternative as the decision shows it, at (1-based) position of the ranking, with the
# entry it is compared with for `why` (rank 1: rank 2, or none; rank k: rank k-1).
_ranked_entry(position, e, other, fastest, most) := a if {
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
		"rank": position,
		"why": why(position, e, other, fastest, most),
		"rule": "gatekeeper.alternatives.ranked",
	}
}

# One alternative for these preferences and waits: its sort key, lead time, the values of the
# ranking criteria and what it waits for.
_entry(id, alt, approval, prefs, order_of_criteria, staff_wait, freeze_wait) := e if {
	staff_waits = {true: staff_wait, false: 0}
	support_wait = staff_waits[alt.needs_msp_staff]
	freeze_waits = {true: freeze_wait, false: 0}
	system_wait = freeze_waits[alt.changes_system]
	waited = alt.lead_time_hours + support_wait
	longer = {true: system_wait, false: waited}
	lead = longer[system_wait > waited]
	waits = {true: "freeze", false: _support_wait_names[support_wait > 0]}
	values = _criteria_values(alt, lead, prefs)
	e = {
		"key": _sort_key(values, order_of_criteria, id), "id": id, "alt": alt, "lead": lead,
		"approval": approval, "values": values, "prefs": prefs, "criteria": order_of_criteria,
		"waits": waits[system_wait > waited],
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
why(position, e, other, fastest, most) := text if {
	lead = _lead_text(e)
	some reason in [_reason(position, e, other, lead, fastest, most)]
	urgent_texts = {true: "This is urgent, so speed comes first. ", false: ""}
	heads = {true: "Best for you: ", false: concat("", ["Rank ", format_int(position, 10), ": "])}
	body = concat("", [urgent_texts[object.get(e.prefs, "urgent", false)], reason])
	text = concat("", [heads[position == 1], lower(substring(body, 0, 1)), substring(body, 1, -1)])
}

# "at once" or "in 8 hours", plus what it waits for.
_lead_text(e) := concat("", [_in_time(e.lead), _wait_notes[e.waits]])

# An `else`, not an object literal indexed by `lead == 0`: a literal builds every value,
# so hours_text would be computed for every alternative available at once.
_in_time(lead) := "at once" if lead == 0

else := concat("", ["in ", util.hours_text(lead)])

_wait_notes := {
	"": "",
	"support": ", as it waits for support hours",
	"freeze": ", as it waits for the change freeze to end",
}

_reason(position, e, other, lead, fastest, most) := t if {
	other == {}
	t = concat("", ["It is the only choice that does the job. It can be in place ", lead, "."])
} else := t if {
	# The position first: _deciding is then computed once for every rank.
	position == 1
	c = _deciding(e, other)
	t = _best_reason(c, e, lead, fastest, most)
} else := t if {
	c = _deciding(e, other)
	t = _lower_reason(c, e, other, lead, format_int(position - 1, 10))
}

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
_lower_reason(c, e, other, lead, above) := concat("", ["It has ", util.hours_text(e.alt.downtime_hours), " of downtime. That is more than the ", util.hours_text(e.prefs.tolerated_downtime_hours), " you accept."]) if {
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
