# METADATA
# title: Bundle views
# description: |
#   Values computed from data alone, once per bundle: the loader evaluates this package
#   without input when the bundle loads and serves its rules as data.views, so a request looks
#   them up instead of computing them again. A rule here must not read input (`gatekeeper
#   check` refuses one that does, and replays the examples with and without views); a rule
#   that reads a view computes the value itself when the view is missing.
package gatekeeper.views

import rego.v1

import data.gatekeeper.lib.util

# METADATA
# title: Each customer's preference profile, as "priority|involvement|tolerated hours"
# description: |
#   The ranking of alternatives depends on a customer only through these preferences, so
#   customers with the same profile share one ranking in the view below.
# custom:
#   code: GK-VIEW-005
profiles[customer_id] := key if {
	some customer_id
	customer = data.customers[customer_id]

	# `some v in [...]` binds v: regopy finds a cycle in `v = f(...)` here.
	some prefs in [data.gatekeeper.lib.context.preferences_of(customer)]
	key = concat("|", [prefs.priority, prefs.involvement, util.num(prefs.tolerated_downtime_hours)])
}

# The preferences of each profile (only the fields the key is made of: equal keys, equal values).
_profile_preferences[key] := prefs if {
	some customer_id
	key = profiles[customer_id]
	customer = data.customers[customer_id]
	some full in [data.gatekeeper.lib.context.preferences_of(customer)]
	prefs = {
		"priority": full.priority,
		"involvement": full.involvement,
		"tolerated_downtime_hours": full.tolerated_downtime_hours,
	}
}

# METADATA
# title: Alternatives ranked per preference profile, purpose and requested access, nothing waiting
# description: |
#   data.views.alternatives["profile|purpose|access"] (profile from data.views.profiles) is
#   what gatekeeper.alternatives.rank gives with no wait for support hours or a change freeze:
#   the common case of a request. One flat object: regopy cannot unify nested comprehensions.
# custom:
#   code: GK-VIEW-001
alternatives := {key: ranked |
	some profile, purpose, access
	prefs = _profile_preferences[profile]
	data.catalog.purposes[purpose]
	data.catalog.access_levels[access]
	key = data.gatekeeper.alternatives.ranking_key(profile, purpose, access)

	# `some v in [...]` binds v: regopy finds a cycle in `v = f(...)` here.
	some ranked in [data.gatekeeper.alternatives.rank(prefs, purpose, access, 0, 0)]
}
