# METADATA
# title: Overlapping access
# description: |
#   A grant or an open request of the same environment whose time window overlaps this one
#   (the ledger lists them in input.context.overlapping) and that shares a system with it
#   (no systems means the whole environment, which shares every system). Two people changing
#   the same systems at once can undo each other's work, so the requester is told which
#   requests overlap. Read-only access changes nothing and an emergency does not wait, so
#   neither is held up by it.
package gatekeeper.rules.overlap

import rego.v1

import data.gatekeeper.lib.util

# The package's one helper: undefined (after one look-up) unless something overlaps. A plain
# reference, no object.get: an input without context (or without the list) has nothing that
# overlaps, and the reference is then undefined at once.
_overlap := v if {
	items = input.context.overlapping
	count(items) > 0
	object.get(data.gatekeeper.lib.context.access_level, "risk", "high") != "low"
	not data.gatekeeper.lib.context.emergency
	ids = sort([i | some o in items; shares_systems(input.request.systems, o.systems); i = o.request_id])
	count(ids) > 0
	granted = [i | some o in items; o.state == "granted"; shares_systems(input.request.systems, o.systems); i = o.request_id]
	v = _effect(ids, count(granted))
}

# concat, not sprintf, joins the words: one engine quotes strings built by a builtin.
_effect(ids, granted) := {"consequence": c, "message": message} if {
	pending = count(ids) - granted
	listed = concat(", ", ids)

	# People read the short reference the pages show (the id up to its first "-").
	shown = concat(", ", [r | some i in ids; r = concat("", ["request ", split(i, "-")[0]])])
	summary = concat("", [
		"This time overlaps ", _counted(granted, pending), " on ",
		data.gatekeeper.lib.context.environment_title, ": ", shown, ".",
		" Two people changing the same systems at once can undo each other's work.",
		" Check with them first, or pick another time.",
	])
	c = {
		"id": "overlap",
		"kind": "overlap",
		"severity": _severity(granted),
		"title": "Other access at the same time",
		"summary": summary,
		"overlapping_request_ids": ids,
		"overlapping_granted": granted,
		"overlapping_pending": pending,
		"rule": "gatekeeper.rules.overlap.consequences",
	}
	message = concat("", [
		"Overlaps ", util.num(granted), " granted and ", util.num(pending),
		" pending request(s) in time and systems: ", listed, ".",
	])
}

_severity(granted) := "medium" if granted > 0

else := "low"

_counted(granted, pending) := _n(granted, "grant") if pending == 0

else := _n(pending, "waiting request") if granted == 0

else := concat(" and ", [_n(granted, "grant"), _n(pending, "waiting request")])

_n(n, word) := concat("", [util.num(n), " ", word]) if n == 1

_n(n, word) := concat("", [util.num(n), " ", word, "s"]) if n != 1

# METADATA
# title: Two sets of systems share one
# description: No systems means the whole environment, which shares every system.
# custom:
#   code: GK-OVL-002
shares_systems(mine, _) if count(mine) == 0

shares_systems(_, theirs) if count(theirs) == 0

shares_systems(mine, theirs) if {
	some s in theirs
	s in mine
}

# METADATA
# title: This request overlaps other access in time and systems
# custom:
#   code: GK-OVL-001
consequences contains c if {
	c = _overlap.consequence
}

# METADATA
# title: Why the overlap is named
# custom:
#   code: GK-OVL-001
reasons contains {"rule": "gatekeeper.rules.overlap.consequences", "code": "GK-OVL-001", "message": message} if {
	message = _overlap.message
}

# METADATA
# title: What an overlap will produce, from guards that cannot fail
# description: |
#   The keys of the elements above, for the entry point to check that none went missing
#   (docs/policy-contract.md, "Announced elements"). Written apart from _overlap on purpose.
# custom:
#   code: GK-OVL-003
announced contains k if {
	some o in input.context.overlapping
	object.get(data.gatekeeper.lib.context.access_level, "risk", "high") != "low"
	not data.gatekeeper.lib.context.emergency
	_touches(o.systems)
	some k in ["consequences:overlap", "reasons:GK-OVL-001"]
}

# The other access shares a system with this one (either side without systems shares all).
_touches(_) if count(input.request.systems) == 0

_touches(theirs) if count(theirs) == 0

_touches(theirs) if {
	some s in input.request.systems
	s in theirs
}
