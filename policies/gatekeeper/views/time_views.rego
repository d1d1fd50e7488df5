# METADATA
# title: Bundle views of times and support hours
# description: |
#   What a request needs of a customer's support hours and time zone that depends on data
#   alone, computed once per bundle (see views.rego): gatekeeper.lib.context reads these and
#   computes each value itself when the view is missing.
package gatekeeper.views

import rego.v1

import data.gatekeeper.lib.times
import data.gatekeeper.lib.util

# METADATA
# title: Each customer's support hours, ready for a request
# description: |
#   data.views.support_hours[customer]: the hours in plain language (text, support_hours.describe)
#   and, for business hours, the opening and closing minutes after midnight (open, close,
#   times.minutes_of) and, per weekday as time.weekday names it, the days to the support days
#   (offsets, support_hours.offsets).
# custom:
#   code: GK-VIEW-006
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
#   code: GK-VIEW-007
places[tz] := place if {
	some customer_id
	tz = data.customers[customer_id].timezone
	some place in [times.place_of(tz)]
}
