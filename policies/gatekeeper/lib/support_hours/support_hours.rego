# METADATA
# title: Support hours
# description: |
#   Whether a moment falls within a customer's support hours (in the customer's IANA time
#   zone), and when support next opens. Support hours are either {"mode": "24x7"} or
#   {"mode": "business_hours", "days": [...], "open": "HH:MM", "close": "HH:MM"}, with
#   optional "closed_on": [{"date": "YYYY-MM-DD", "name": ...}], local dates (public
#   holidays) on which support stays closed although the weekday is a support day.
package gatekeeper.lib.support_hours

import rego.v1

import data.gatekeeper.lib.times
import data.gatekeeper.lib.util

# METADATA
# title: The moment (ns) falls within the support hours
# custom:
#   code: GK-LIB-SUP-001
open_at(hours, _, _) if hours.mode == "24x7"

open_at(hours, tz, ns) if {
	hours.mode == "business_hours"
	open_within(hours.days, times.minutes_of(hours.open), times.minutes_of(hours.close), closed_dates(hours), tz, ns)
}

# METADATA
# title: The moment (ns) falls on one of days, between opening and closing, on no closed date
# description: |
#   open_at for business hours from values computed once: days as in the data, opening and
#   closing in minutes after local midnight (times.minutes_of) and the closed dates
#   (closed_dates). A caller that asks about many moments of one customer (the deadlines)
#   computes them once instead of at every moment.
# custom:
#   code: GK-LIB-SUP-009
open_within(days, opening, closing, closed, tz, ns) if {
	_weekday(tz, ns) in days
	c = time.clock([ns, tz])
	m = (c[0] * 60) + c[1]
	m >= opening
	m < closing
	_not_closed(tz, ns, closed)
}

# METADATA
# title: The local dates support stays closed on, as time.date gives them ([y, m, d])
# description: |
#   The dates of closed_on, in the shape time.date returns, so that a moment's local date is
#   looked up as it is; empty when there are none. Leading zeros are stripped before
#   to_number (not every engine parses "08").
# custom:
#   code: GK-LIB-SUP-007
closed_dates(hours) := {d |
	some c in object.get(hours, "closed_on", [])
	some p in [split(c.date, "-")]
	some d in [[to_number(p[0]), to_number(trim_left(p[1], "0")), to_number(trim_left(p[2], "0"))]]
}

# METADATA
# title: A date as time.date gives it ([year, month, day]), as a "YYYY-MM-DD" text
# custom:
#   code: GK-LIB-SUP-008
date_key(date) := sprintf("%04d-%02d-%02d", date)

_weekday(tz, ns) := lower(time.weekday([ns, tz]))

# The moment `minutes` after local midnight on the local day of `t`, corrected once when a
# daylight-saving change lies between that time and `t`.
_local_time_on_day(tz, t, minutes) := corrected if {
	c = time.clock([t, tz])
	secs = ((c[0] * 3600) + (c[1] * 60)) + c[2]
	approx = (t - (secs * 1000000000)) + ((minutes * 60) * 1000000000)
	a = time.clock([approx, tz])
	diff = minutes - ((a[0] * 60) + a[1])
	corrected = _shift(approx, diff)
}

_shift(ns, diff) := ns + ((diff * 60) * 1000000000) if abs(diff) <= 120

else := ns

# The first opening after ns (see opening_after).
_first_opening(hours, tz, ns) := o if {
	weekday = time.weekday([ns, tz])
	days = offsets(hours.days, weekday)
	o = opening_after(tz, ns, time.clock([ns, tz]), days, times.minutes_of(hours.open), closed_dates(hours))
}

# METADATA
# title: The first support opening after ns, from what a caller knows of ns already
# description: |
#   Today's opening if today is a support day and support has not opened yet, else the next
#   support day's. clock is time.clock of ns in tz, days the offsets of the support days from
#   ns's weekday (offsets), opening the opening's minutes after midnight and closed the
#   closed dates (closed_dates; a request passes its own clock and the bundle views' values
#   instead of computing them again). Only today's weekday comes from the time zone (the days
#   after are counted on), and openings are computed from local noon: stepping whole days
#   from noon never skips or repeats a local date across a daylight-saving change, and noon
#   is on ns's local date. At most two openings are computed; with closed dates, support
#   days up to eight weeks ahead are tried in turn, skipping the closed ones.
# custom:
#   code: GK-LIB-SUP-005
opening_after(tz, ns, clock, days, opening, closed) := o if {
	secs = ((clock[0] * 3600) + (clock[1] * 60)) + clock[2]
	noon = (ns - (secs * 1000000000)) + (12 * times.hour_ns)
	o = _opening_after(tz, noon, days, opening, ns, closed)
}

# METADATA
# title: Days from a weekday to the support days of the week after it (0 to 7)
# description: |
#   weekday as time.weekday names it ("Monday"); 0 when the day itself is a support day, and
#   then 7 too. A function of data only: the bundle views hold it for every customer and day.
# custom:
#   code: GK-LIB-SUP-006
offsets(days, weekday) := o if {
	today = _day_number[lower(weekday)]
	o = [d | some d in numbers.range(0, 7); _week[(today + d) % 7] in days]
}

# Openings lie about a day apart, so when the first support day's has passed (today's, before
# ns), the second's is the answer: it is always after ns. When either of the first two days
# is closed, the days after are tried in turn.
_opening_after(tz, noon, days, opening, ns, closed) := first if {
	day = noon + (days[0] * times.day_ns)
	_not_closed(tz, day, closed)
	first = _local_time_on_day(tz, day, opening)
	first > ns
} else := second if {
	day = noon + (days[1] * times.day_ns)
	_not_closed(tz, day, closed)
	second = _local_time_on_day(tz, day, opening)
} else := _open_day_after(tz, noon, days, opening, ns, closed)

# Most customers list no closed date: no local date is asked for them.
_not_closed(_, _, closed) if count(closed) == 0

_not_closed(tz, day, closed) if {
	count(closed) > 0
	not time.date([day, tz]) in closed
}

# The first opening after ns on a support day that is not closed, up to eight weeks ahead;
# undefined when every one of them is closed. Only the local date of each candidate day is
# asked for; openings are computed for the first two open days alone (today's may have passed).
_open_day_after(tz, noon, days, opening, ns, closed) := first if {
	# `some v in [...]` binds v: regopy finds a cycle in `v = f(...)` inside a function.
	open_days = [day |
		some week in _weeks
		some d in days
		some day in [noon + ((week + d) * times.day_ns)]
		not time.date([day, tz]) in closed
	]
	count(open_days) > 0
	first = _first_opening_of(tz, open_days, opening, ns)
}

_weeks := [0, 7, 14, 21, 28, 35, 42, 49]

_first_opening_of(tz, open_days, opening, ns) := first if {
	first = _local_time_on_day(tz, open_days[0], opening)
	first > ns
} else := second if {
	second = _local_time_on_day(tz, open_days[1], opening)
}

_day_number := {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}

# METADATA
# title: When support next opens after ns (ns itself when support is open)
# custom:
#   code: GK-LIB-SUP-002
next_open(hours, tz, ns) := ns if open_at(hours, tz, ns)

else := _first_opening(hours, tz, ns)

# METADATA
# title: Hours to wait from ns until support is open (0 when open)
# custom:
#   code: GK-LIB-SUP-003
wait_hours(hours, tz, ns) := times.hours_between(ns, next_open(hours, tz, ns))

# METADATA
# title: Support hours in plain language
# custom:
#   code: GK-LIB-SUP-004
describe(hours, _) := "around the clock (24x7)" if hours.mode == "24x7"

describe(hours, tz) := text if {
	hours.mode == "business_hours"
	days = _days_text(hours.days)
	text = concat("", [days, " ", hours.open, "-", hours.close, " (", times.place(tz), " time)"])
}

_week := ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

_titled(day) := concat("", [upper(substring(day, 0, 1)), substring(day, 1, -1)])

_positions(days) := {i | some day in days; _week[i] == day}

# "Monday to Friday" for a run of consecutive days, else the days listed in week order.
_days_text(days) := text if {
	pos = _positions(days)
	count(pos) > 2
	first = util.min_of(pos)
	last = util.max_of(pos)
	count(pos) == (last - first) + 1
	text = concat(" to ", [_titled(_week[first]), _titled(_week[last])])
} else := concat(", ", [t | some day in _week; day in days; t = _titled(day)])
