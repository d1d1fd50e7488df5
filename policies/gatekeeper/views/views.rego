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

import data.gatekeeper.lib.times
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

# METADATA
# title: What breaking the managed baseline costs, per scope where it does
# custom:
#   code: GK-VIEW-003
reprovisioning := {key: effect |
	some customer_id, environment_id, access_id
	data.customers[customer_id].environments[environment_id]
	data.catalog.access_levels[access_id]
	key = data.gatekeeper.lib.context.scope_key(customer_id, environment_id, access_id)

	# `some v in [...]` binds v (and skips a scope where the function is undefined).
	some effect in [data.gatekeeper.rules.reprovisioning.effect(customer_id, environment_id, access_id)]
}

# METADATA
# title: SLA figures of the downtime, per scope with downtime
# custom:
#   code: GK-VIEW-004
sla := {key: effect |
	some customer_id, environment_id, access_id
	data.customers[customer_id].environments[environment_id]
	data.catalog.access_levels[access_id]
	key = data.gatekeeper.lib.context.scope_key(customer_id, environment_id, access_id)

	# `some v in [...]` binds v (and skips a scope where the function is undefined).
	some effect in [data.gatekeeper.rules.sla.effect(customer_id, environment_id, access_id)]
}

# METADATA
# title: What data protection says, per scope
# description: |
#   data.views.data_protection["customer|environment|access"]: the texts of an export, of
#   reach and of reach in an emergency (rules.data_protection.texts).
# custom:
#   code: GK-VIEW-009
data_protection := {key: texts |
	some customer_id, environment_id, access_id
	data.customers[customer_id].environments[environment_id]
	data.catalog.access_levels[access_id]
	key = data.gatekeeper.lib.context.scope_key(customer_id, environment_id, access_id)

	# `some v in [...]` binds v (and skips a scope where the function is undefined).
	some texts in [data.gatekeeper.rules.data_protection.texts(customer_id, environment_id, access_id)]
}

# METADATA
# title: Each customer's support hours, ready for a request
# description: |
#   data.views.support_hours[customer]: the hours in plain language (text, support_hours.describe)
#   and, for business hours, the opening and closing minutes after midnight (open, close,
#   times.minutes_of), per weekday as time.weekday names it, the days to the support days
#   (offsets, support_hours.offsets), and the dates support stays closed on (closed,
#   support_hours.closed_dates).
# custom:
#   code: GK-VIEW-010
support_hours[customer_id] := view if {
	some customer_id
	customer = data.customers[customer_id]
	customer.support_hours.mode == "24x7"

	# `some v in [...]` binds v: regopy finds a cycle in `v = f(...)` here.
	some text in [data.gatekeeper.lib.support_hours.describe(customer.support_hours, customer.timezone)]
	view = {"text": text}
}

support_hours[customer_id] := view if {
	some customer_id
	customer = data.customers[customer_id]
	customer.support_hours.mode == "business_hours"
	hours = customer.support_hours
	some text in [data.gatekeeper.lib.support_hours.describe(hours, customer.timezone)]
	offsets = {weekday: days |
		some weekday in _weekdays
		some days in [data.gatekeeper.lib.support_hours.offsets(hours.days, weekday)]
	}
	view = {
		"text": text,
		"open": times.minutes_of(hours.open),
		"close": times.minutes_of(hours.close),
		"offsets": offsets,
		"closed": data.gatekeeper.lib.support_hours.closed_dates(hours),
	}
}

# METADATA
# title: Whole hours from 0 to the longest access level's maximum, as a number and in words
# description: data.views.hours_words[h] is times.hours_words_of(h), for times.hours_words.
# custom:
#   code: GK-VIEW-008
hours_words := [w |
	some h in numbers.range(0, ceil(util.max_of([m | some level in data.catalog.access_levels; m = level.max_duration_hours])))
	w = times.hours_words_of(h)
]

_weekdays := ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# METADATA
# title: The place of each customer's time zone in words (times.place)
# custom:
#   code: GK-VIEW-011
places[tz] := place if {
	some customer_id
	tz = data.customers[customer_id].timezone
	some place in [times.place_of(tz)]
}

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
