package gatekeeper.lib.support_hours_test

import rego.v1

import data.gatekeeper.lib.support_hours
import data.gatekeeper.lib.times

_office := {"mode": "business_hours", "days": ["monday", "tuesday", "wednesday", "thursday", "friday"], "open": "08:00", "close": "17:00"}

_tz := "Europe/Amsterdam"

test_always_open_24x7 if {
	support_hours.open_at({"mode": "24x7"}, _tz, times.parse_ns("2026-11-28T03:00:00Z"))
	support_hours.wait_hours({"mode": "24x7"}, _tz, times.parse_ns("2026-11-28T03:00:00Z")) == 0
}

test_open_on_a_weekday_in_local_hours if {
	# 10:00 in Amsterdam (UTC+1 in November)
	support_hours.open_at(_office, _tz, times.parse_ns("2026-11-23T09:00:00Z"))
	not support_hours.open_at(_office, _tz, times.parse_ns("2026-11-23T06:59:00Z"))
	not support_hours.open_at(_office, _tz, times.parse_ns("2026-11-23T16:00:00Z"))
}

test_saturday_waits_until_monday_opening if {
	saturday := times.parse_ns("2026-11-28T10:00:00Z")
	not support_hours.open_at(_office, _tz, saturday)
	times.format(support_hours.next_open(_office, _tz, saturday)) == "2026-11-30T07:00:00Z"
	support_hours.wait_hours(_office, _tz, saturday) == 45
}

test_next_open_follows_daylight_saving if {
	# Friday evening before the switch to summer time: Monday 08:00 CEST is 06:00 UTC
	friday := times.parse_ns("2026-03-27T17:00:00Z")
	times.format(support_hours.next_open(_office, _tz, friday)) == "2026-03-30T06:00:00Z"
}

test_before_opening_on_a_support_day_waits_for_that_morning if {
	# Monday 05:00 in Amsterdam
	monday := times.parse_ns("2026-11-23T04:00:00Z")
	times.format(support_hours.next_open(_office, _tz, monday)) == "2026-11-23T07:00:00Z"
	support_hours.wait_hours(_office, _tz, monday) == 3
}

test_after_closing_on_friday_waits_for_monday if {
	friday := times.parse_ns("2026-11-27T17:30:00Z")
	times.format(support_hours.next_open(_office, _tz, friday)) == "2026-11-30T07:00:00Z"
}

test_one_support_day_a_week_waits_a_week_after_its_opening if {
	mondays := object.union(_office, {"days": ["monday"]})
	monday_noon := times.parse_ns("2026-11-23T11:00:00Z")
	times.format(support_hours.next_open(mondays, _tz, times.parse_ns("2026-11-23T17:00:00Z"))) == "2026-11-30T07:00:00Z"
	support_hours.next_open(mondays, _tz, monday_noon) == monday_noon
}

test_no_support_day_never_opens if {
	never := object.union(_office, {"days": []})
	not support_hours.next_open(never, _tz, times.parse_ns("2026-11-23T17:00:00Z"))
}

test_describe if {
	support_hours.describe(_office, _tz) == "Monday to Friday 08:00-17:00 (Amsterdam time)"
	support_hours.describe({"mode": "24x7"}, _tz) == "around the clock (24x7)"
	odd := object.union(_office, {"days": ["friday", "monday"]})
	support_hours.describe(odd, _tz) == "Monday, Friday 08:00-17:00 (Amsterdam time)"
}

test_offsets_count_days_to_the_support_days if {
	support_hours.offsets(_office.days, "Monday") == [0, 1, 2, 3, 4, 7]
	support_hours.offsets(_office.days, "Saturday") == [2, 3, 4, 5, 6]
	support_hours.offsets(["sunday"], "Sunday") == [0, 7]
}

test_opening_after_uses_the_clock_it_is_given if {
	# Saturday 11:00 in Amsterdam: the next opening is Monday 08:00 (07:00 UTC)
	saturday := times.parse_ns("2026-11-28T10:00:00Z")
	o := support_hours.opening_after(_tz, saturday, [11, 0, 0], [2, 3, 4, 5, 6], 480, set())
	times.format(o) == "2026-11-30T07:00:00Z"

	# Monday 05:00: that morning's opening; Monday 18:00: Tuesday's
	monday := times.parse_ns("2026-11-23T04:00:00Z")
	times.format(support_hours.opening_after(_tz, monday, [5, 0, 0], [0, 1, 2, 3, 4, 7], 480, set())) == "2026-11-23T07:00:00Z"
	evening := times.parse_ns("2026-11-23T17:00:00Z")
	times.format(support_hours.opening_after(_tz, evening, [18, 0, 0], [0, 1, 2, 3, 4, 7], 480, set())) == "2026-11-24T07:00:00Z"
}

# Christmas 2026 falls on a Friday; Amsterdam has a second Christmas day on Saturday.
_holidays := object.union(_office, {"closed_on": [
	{"date": "2026-12-25", "name": "Christmas Day"},
	{"date": "2026-12-26", "name": "Second Christmas Day"},
	{"date": "2026-12-28", "name": "Office move"},
]})

test_closed_dates_and_their_keys if {
	support_hours.closed_dates(_holidays) == {[2026, 12, 25], [2026, 12, 26], [2026, 12, 28]}
	support_hours.closed_dates({"closed_on": [{"date": "2027-01-05", "name": "n"}]}) == {[2027, 1, 5]}
	support_hours.closed_dates(_office) == set()
	support_hours.date_key([2027, 1, 4]) == "2027-01-04"
}

test_a_closed_date_is_not_open if {
	# Friday 25 December, 10:00 in Amsterdam: a weekday within the hours, but closed
	christmas := times.parse_ns("2026-12-25T09:00:00Z")
	support_hours.open_at(_office, _tz, christmas)
	not support_hours.open_at(_holidays, _tz, christmas)

	# the day before is open as usual
	support_hours.open_at(_holidays, _tz, times.parse_ns("2026-12-24T09:00:00Z"))
}

test_next_open_skips_closed_dates if {
	# Thursday 24 December after closing: Friday is Christmas, the weekend follows and the
	# Monday is closed too, so support opens on Tuesday 29 December, 08:00 (07:00 UTC)
	evening := times.parse_ns("2026-12-24T17:30:00Z")
	times.format(support_hours.next_open(_holidays, _tz, evening)) == "2026-12-29T07:00:00Z"
	support_hours.wait_hours(_holidays, _tz, evening) == 109.5

	# without the closed dates: Friday 08:00
	times.format(support_hours.next_open(_office, _tz, evening)) == "2026-12-25T07:00:00Z"
}

test_opening_after_tries_eight_weeks_of_support_days if {
	mondays := object.union(_office, {"days": ["monday"], "closed_on": [
		{"date": "2026-11-30", "name": "a"},
		{"date": "2026-12-07", "name": "b"},
	]})
	sunday := times.parse_ns("2026-11-29T10:00:00Z")
	times.format(support_hours.next_open(mondays, _tz, sunday)) == "2026-12-14T07:00:00Z"

	# the eighth Monday is the last one tried
	seven := [{"date": d, "name": "shut"} | some d in ["2026-11-30", "2026-12-07", "2026-12-14", "2026-12-21", "2026-12-28", "2027-01-04", "2027-01-11"]]
	times.format(support_hours.next_open(object.union(mondays, {"closed_on": seven}), _tz, sunday)) == "2027-01-18T07:00:00Z"

	# every support day in eight weeks closed: no opening is known
	eight := array.concat(seven, [{"date": "2027-01-18", "name": "shut"}])
	not support_hours.next_open(object.union(mondays, {"closed_on": eight}), _tz, sunday)
}
