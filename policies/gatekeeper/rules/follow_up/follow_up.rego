# METADATA
# title: Follow-up of a chosen alternative
# description: |
#   When a requester chooses an alternative, the ledger asks the policy again: the same
#   customer, environment, need and time, with the alternative's access and
#   input.request.alternative naming it. This package adds what the alternative itself
#   brings: its lead time and downtime as figures, its catalogue conditions, the sign-off its
#   approval block asks for, a downtime consequence when it costs any, and the next step for
#   the requester. The other rules decide the rest as for any request.
package gatekeeper.rules.follow_up

import rego.v1

import data.gatekeeper.lib.util

# The entry point builds every rule of every rules package, and each rule of a package costs
# ~1.4 µs on regorus-rvm when the entry point builds the package, a helper rule included. So
# there is no helper rule: each set first looks up the alternative (undefined for all but
# follow-ups) and builds only its own elements; the sets share no work but that look-up.

# What the chosen alternative brings: its terms, then its catalogue conditions.
_conditions(id, alt) := array.concat(
	[{
		"id": "alternative_terms",
		"summary": concat("", [_lead_text(alt.lead_time_hours), ", ", _downtime_text(alt.downtime_hours), "."]),
		"alternative": id,
		"lead_time_hours": alt.lead_time_hours,
		"downtime_hours": alt.downtime_hours,
		"rule": "gatekeeper.rules.follow_up.conditions",
	}],
	_catalogue_conditions(id, object.get(alt, "conditions", [])),
)

# `some c in [...]` binds c: regopy finds a cycle in `c = f(...)` inside a function.
_catalogue_conditions(id, texts) := [c |
	some i
	texts[i]
	some c in [{
		"id": concat("", ["alternative_condition_", format_int(i + 1, 10)]),
		"summary": texts[i],
		"alternative": id,
		"rule": "gatekeeper.rules.follow_up.conditions",
	}]
]

_lead_text(h) := "It can start at once" if h == 0

_lead_text(h) := t if {
	h > 0
	t = concat("", ["It takes about ", util.hours_text(h), " to set up"])
}

_downtime_text(h) := "with no downtime" if h == 0

_downtime_text(h) := t if {
	h > 0
	t = concat("", ["with about ", util.hours_text(h), " of downtime"])
}

# METADATA
# title: What the chosen alternative brings, with its figures and catalogue conditions
# custom:
#   code: GK-FUP-001
conditions contains c if {
	id = input.request.alternative
	alt = data.catalog.alternatives[id]
	some c in _conditions(id, alt)
}

# METADATA
# title: The next step for the requester
# custom:
#   code: GK-FUP-002
next_steps contains s if {
	id = input.request.alternative
	alt = data.catalog.alternatives[id]
	s = {
		"id": "next_step",
		"summary": alt.next_step,
		"alternative": id,
		"rule": "gatekeeper.rules.follow_up.next_steps",
	}
}

# METADATA
# title: The alternative's approval block asks for a sign-off
# custom:
#   code: GK-FUP-003
outcomes contains o if {
	alt = data.catalog.alternatives[input.request.alternative]
	data.gatekeeper.alternatives.approval_of(alt).required
	o = {"outcome": "needs_approval", "rule": "gatekeeper.rules.follow_up.outcomes"}
}

# METADATA
# title: Who signs off the follow-up, from the alternative's approval block
# custom:
#   code: GK-FUP-003
approvals contains a if {
	alt = data.catalog.alternatives[input.request.alternative]
	approval = data.gatekeeper.alternatives.approval_of(alt)
	approval.required
	a = {"roles": approval.roles, "count": approval.count, "rule": "gatekeeper.rules.follow_up.approvals"}
}

# METADATA
# title: Downtime the alternative itself costs
# description: An alternative with downtime states it as a consequence the requester accepts.
# custom:
#   code: GK-FUP-004
consequences contains c if {
	alt = data.catalog.alternatives[input.request.alternative]
	downtime = alt.downtime_hours
	downtime > 0
	tolerated = data.gatekeeper.lib.context.preferences.tolerated_downtime_hours
	severities = {true: "critical", false: "medium"}
	c = {
		"id": "alternative_downtime",
		"kind": "downtime",
		"severity": severities[downtime > tolerated],
		"title": concat("", [util.num(downtime), " h downtime"]),
		"summary": concat("", [alt.title, " costs about ", util.hours_text(downtime), " of downtime."]),
		"downtime_hours": downtime,
		"tolerated_downtime_hours": tolerated,
		"rule": "gatekeeper.rules.follow_up.consequences",
	}
}

# METADATA
# title: Why the request is decided as a follow-up
# custom:
#   code: GK-FUP-001
reasons contains {"rule": "gatekeeper.rules.follow_up.conditions", "code": "GK-FUP-001", "message": message} if {
	id = input.request.alternative
	data.catalog.alternatives[id]
	message = concat("", [
		"The requester chose the alternative ", id, " (access ", input.request.access,
		"); it is decided as a request of its own.",
	])
}

# METADATA
# title: What a follow-up will produce, from guards that cannot fail
# description: |
#   The keys of the elements above, for the entry point to check that none went missing
#   (docs/policy-contract.md, "Announced elements"). Written apart from the sets on purpose; one
#   body that fails at its first look-up unless the request takes an alternative.
# custom:
#   code: GK-FUP-005
announced contains k if {
	alt = data.catalog.alternatives[input.request.alternative]
	some k in array.concat(
		array.concat(
			["conditions:alternative_terms", "next_steps:next_step", "reasons:GK-FUP-001"],
			_condition_keys(object.get(alt, "conditions", [])),
		),
		array.concat(_approval_keys(alt), _downtime_keys(alt)),
	)
}

# `some k in [...]` binds k: regopy finds a cycle in `k = f(...)` inside a function.
_condition_keys(texts) := [k |
	some i
	texts[i]
	some k in [concat("", ["conditions:alternative_condition_", format_int(i + 1, 10)])]
]

_approval_keys(alt) := ["outcomes:needs_approval", "approvals:gatekeeper.rules.follow_up.approvals"] if {
	alt.approval.required == true
} else := []

_downtime_keys(alt) := ["consequences:alternative_downtime"] if {
	alt.downtime_hours > 0
} else := []
