# METADATA
# title: Bundle views of the alternatives
# description: |
#   What gatekeeper.alternatives.ranked reads instead of ranking at request time: the
#   ranking of an urgent request with nothing waiting, and for a request that waits, the
#   candidates of a ranking with all that does not depend on the waits. Keyed, like
#   data.views.alternatives, by preference profile (data.views.profiles), not by customer.
package gatekeeper.views

import rego.v1

# METADATA
# title: Alternatives ranked per preference profile, purpose and requested access, urgent, nothing waiting
# description: |
#   data.views.urgent_alternatives["profile|purpose|access"] is what
#   gatekeeper.alternatives.rank gives an urgent request (urgency high or emergency: priority
#   speed, and each `why` says so) with no wait for support hours or a change freeze.
# custom:
#   code: GK-VIEW-006
urgent_alternatives := {key: ranked |
	some profile, purpose, access
	prefs = _urgent_preferences[profile]
	data.catalog.purposes[purpose]
	data.catalog.access_levels[access]
	key = data.gatekeeper.alternatives.ranking_key(profile, purpose, access)

	# `some v in [...]` binds v: regopy finds a cycle in `v = f(...)` here.
	some ranked in [data.gatekeeper.alternatives.rank(prefs, purpose, access, 0, 0)]
}

# The preferences of each profile for an urgent request (context.preferences).
_urgent_preferences[key] := prefs if {
	some key
	usual = _profile_preferences[key]
	prefs = object.union(usual, {"priority": "speed", "urgent": true})
}

# METADATA
# title: The candidates of a ranking per preference profile, purpose, requested access and urgency
# description: |
#   data.views.alternative_candidates["profile|purpose|access|usual"] (or "...|urgent") is
#   gatekeeper.alternatives.candidates for those preferences (as context.preferences gives
#   them, urgent or not): a request that waits for support hours or a change freeze ranks
#   them for its waits instead of ranking the catalogue.
# custom:
#   code: GK-VIEW-007
alternative_candidates := {key: list |
	some profile, purpose, access, urgent
	prefs = _preferences_by_urgency[profile][urgent]
	data.catalog.purposes[purpose]
	data.catalog.access_levels[access]
	key = data.gatekeeper.alternatives.candidates_key(profile, purpose, access, urgent)

	# `some v in [...]` binds v: regopy finds a cycle in `v = f(...)` here.
	some list in [data.gatekeeper.alternatives.candidates(prefs, purpose, access)]
}

# Each profile's preferences, usual (false) and urgent (true).
_preferences_by_urgency[key] := by_urgency if {
	some key
	usual = _profile_preferences[key]
	urgent = _urgent_preferences[key]
	by_urgency = {false: usual, true: urgent}
}
