# METADATA
# title: Support hours
# description: |
#   Whether a moment falls within a customer's support hours (in the customer's IANA time
#   zone), and when support next opens. Support hours are either {"mode": "24x7"} or
#   {"mode": "business_hours", "days": [...], "open": "HH:MM", "close": "HH:MM"}.
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
	_weekday(tz, ns) in hours.days
	c = time.clock([ns, tz])
	m = (c[0] * 60) + c[1]
	m >= times.minutes_of(hours.open)
	m < times.minutes_of(hours.close)
}

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

# The first opening after ns within a week (see opening_after).
_first_opening(hours, tz, ns) := o if {
	weekday = time.weekday([ns, tz])
	o = opening_after(tz, ns, time.clock([ns, tz]), offsets(hours.days, weekday), times.minutes_of(hours.open))
}

# METADATA
# title: The first support opening after ns, from what a caller knows of ns already
# description: |
#   Today's opening if today is a support day and support has not opened yet, else the next
#   support day's. clock is time.clock of ns in tz, days the offsets of the support days from
#   ns's weekday (offsets) and opening the opening's minutes after midnight (a request passes
#   its own clock and the bundle views' values instead of computing them again). Only today's
#   weekday comes from the time zone (the days after are counted on), and at most two
#   openings are computed from local noon: stepping whole days from noon never skips or
#   repeats a local date across a daylight-saving change, and noon is on ns's local date.
# custom:
#   code: GK-LIB-SUP-005
opening_after(tz, ns, clock, days, opening) := o if {
	secs = ((clock[0] * 3600) + (clock[1] * 60)) + clock[2]
	noon = (ns - (secs * 1000000000)) + (12 * times.hour_ns)
	o = _opening_after(tz, noon, days, opening, ns)
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
# ns), the second's is the answer.
_opening_after(tz, noon, days, opening, ns) := first if {
	first = _local_time_on_day(tz, noon + (days[0] * times.day_ns), opening)
	first > ns
} else := second if {
	second = _local_time_on_day(tz, noon + (days[1] * times.day_ns), opening)
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
