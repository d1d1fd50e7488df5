package gatekeeper.views_test

import rego.v1

import data.gatekeeper.views

_shop_hours := {"mode": "business_hours", "days": ["monday", "wednesday"], "open": "09:30", "close": "17:00"}

_holiday := {"date": "2026-12-25", "name": "Christmas Day"}

_tv_customers := {
	"shop": {"timezone": "America/New_York", "support_hours": _shop_hours},
	"office": {"timezone": "Europe/Amsterdam", "support_hours": object.union(_shop_hours, {"closed_on": [_holiday]})},
	"always": {"timezone": "Europe/Amsterdam", "support_hours": {"mode": "24x7"}},
	"also_always": {"timezone": "UTC", "support_hours": {"mode": "24x7"}},
}

test_support_hours_view_per_customer if {
	v := views.support_hours with data.customers as _tv_customers
	v == {
		"shop": {
			"text": "Monday, Wednesday 09:30-17:00 (New York time)",
			"open": 570,
			"close": 1020,
			"offsets": {
				"Monday": [0, 2, 7], "Tuesday": [1, 6], "Wednesday": [0, 5, 7], "Thursday": [4, 6],
				"Friday": [3, 5], "Saturday": [2, 4], "Sunday": [1, 3],
			},
			"closed": set(),
		},
		"office": {
			"text": "Monday, Wednesday 09:30-17:00 (Amsterdam time)",
			"open": 570,
			"close": 1020,
			"offsets": {
				"Monday": [0, 2, 7], "Tuesday": [1, 6], "Wednesday": [0, 5, 7], "Thursday": [4, 6],
				"Friday": [3, 5], "Saturday": [2, 4], "Sunday": [1, 3],
			},
			"closed": {[2026, 12, 25]},
		},
		"always": {"text": "around the clock (24x7)"},
		"also_always": {"text": "around the clock (24x7)"},
	}
}

test_places_view_per_time_zone if {
	v := views.places with data.customers as _tv_customers
	v == {"America/New_York": "New York", "Europe/Amsterdam": "Amsterdam", "UTC": "UTC"}
}

test_hours_words_view_up_to_the_longest_access if {
	levels := {"a": {"max_duration_hours": 2}, "b": {"max_duration_hours": 1.5}}
	v := views.hours_words with data.catalog.access_levels as levels
	v == [{"num": "0", "text": "0 hours"}, {"num": "1", "text": "1 hour"}, {"num": "2", "text": "2 hours"}]
}
