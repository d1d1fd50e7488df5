# METADATA
# title: Time helpers
# description: |
#   Parsing and formatting of RFC 3339 UTC timestamps that behave the same on every engine.
#   Some engines do not parse a trailing "Z" and format nanoseconds differently, so timestamps
#   are parsed with an explicit "+00:00" offset and formatted from date and clock parts.
#   Machine fields (starts_at, ends_at, review_due, earliest_start ...) use `format` (RFC 3339
#   UTC); text a customer reads uses `local` (the customer's own time zone, in words).
package gatekeeper.lib.times

import rego.v1

import data.gatekeeper.lib.util

# METADATA
# title: Nanoseconds per hour
# custom:
#   code: GK-LIB-TIME-001
hour_ns := 3600000000000

# METADATA
# title: Nanoseconds per day
# custom:
#   code: GK-LIB-TIME-002
day_ns := 86400000000000

# METADATA
# title: Parse an RFC 3339 timestamp to nanoseconds since the epoch
# description: A trailing "Z" is rewritten as "+00:00" first.
# custom:
#   code: GK-LIB-TIME-003
parse_ns(ts) := time.parse_rfc3339_ns(concat("", [trim_suffix(ts, "Z"), "+00:00"])) if {
	endswith(ts, "Z")
} else := time.parse_rfc3339_ns(ts)

# METADATA
# title: Format nanoseconds as an RFC 3339 UTC timestamp with whole seconds
# custom:
#   code: GK-LIB-TIME-004
format(ns) := text if {
	d = time.date(ns)
	c = time.clock(ns)
	text = sprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", [d[0], d[1], d[2], c[0], c[1], c[2]])
}

# METADATA
# title: Add a (possibly fractional) number of hours to a time in nanoseconds
# custom:
#   code: GK-LIB-TIME-005
add_hours(ns, hours) := ns + (round(hours * 3600) * 1000000000)

# METADATA
# title: Hours from a to b, rounded up to a tenth of an hour
# custom:
#   code: GK-LIB-TIME-006
hours_between(a, b) := ceil(((b - a) / hour_ns) * 10) / 10

# METADATA
# title: A number of hours as a number and in words
# description: |
#   {"num": util.num(h), "text": util.hours_text(h)}. The bundle view data.views.hours_words
#   holds whole hours up to the longest access level's maximum, looked up instead of
#   formatted; other numbers (or a bundle without views) are formatted.
# custom:
#   code: GK-LIB-TIME-013
hours_words(h) := w if {
	w = data.views.hours_words[h]
} else := hours_words_of(h)

# METADATA
# title: A number of hours as a number and in words, formatted (the bundle views call it)
# custom:
#   code: GK-LIB-TIME-014
hours_words_of(h) := {"num": util.num(h), "text": util.hours_text(h)}

# METADATA
# title: Minutes after midnight of an "HH:MM" string
# custom:
#   code: GK-LIB-TIME-007
minutes_of(hhmm) := (_number(parts[0]) * 60) + _number(parts[1]) if {
	parts = split(hhmm, ":")
}

# Leading zeros are stripped first: not every engine parses "08" as a number.
_number(digits) := to_number(trim_left(digits, "0")) if {
	trim_left(digits, "0") != ""
} else := 0

# METADATA
# title: A time in words, in a time zone, for text a customer reads
# description: |
#   "Mon 4 Jan 2027, 07:00 (Amsterdam time)": the weekday, day, month and year, the clock
#   on 24 hours and the place of the IANA zone (the part after the last "/", "_" as a space).
#   See words for how the text is built.
# custom:
#   code: GK-LIB-TIME-008
local(ns, tz) := words(time.date([ns, tz]), time.clock([ns, tz]), time.weekday([ns, tz]), place(tz))

# METADATA
# title: A local time in words from its parts (see local)
# description: |
#   date, clock and weekday are time.date, time.clock and time.weekday of the time in the
#   zone whose place (see place) is given: a caller that has them already passes them instead
#   of asking the time zone again. One sprintf of numbers and names from literal tables
#   (regopy quotes strings a builtin made in sprintf), then concat adds the place, which a
#   builtin may have made.
# custom:
#   code: GK-LIB-TIME-011
words(date, clock, weekday, place_text) := concat("", [
	sprintf("%s %d %s %d, %02d:%02d (", [_weekdays[weekday], date[2], _months[date[1] - 1], date[0], clock[0], clock[1]]),
	place_text, " time)",
])

_months := ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

_weekdays := {
	"Monday": "Mon", "Tuesday": "Tue", "Wednesday": "Wed", "Thursday": "Thu",
	"Friday": "Fri", "Saturday": "Sat", "Sunday": "Sun",
}

# METADATA
# title: The place of an IANA time zone name in words ("America/New_York" -> "New York")
# description: |
#   The bundle view data.views.places holds it for every customer's zone (a look-up instead
#   of split and replace at every call); a zone the view lacks, or a bundle without views,
#   computes it.
# custom:
#   code: GK-LIB-TIME-009
place(tz) := p if {
	p = data.views.places[tz]
} else := place_of(tz)

# METADATA
# title: The place of an IANA time zone name, computed (the bundle views call it)
# custom:
#   code: GK-LIB-TIME-012
place_of(tz) := replace(parts[count(parts) - 1], "_", " ") if {
	parts = split(tz, "/")
}

# METADATA
# title: An RFC 3339 timestamp in words, in a time zone (see local)
# custom:
#   code: GK-LIB-TIME-010
local_text(ts, tz) := local(parse_ns(ts), tz)

# METADATA
# title: A "YYYY-MM-DD" date in words ("Fri 25 Dec 2026")
# description: The weekday is the date's own (taken at its noon UTC), whatever the time zone.
# custom:
#   code: GK-LIB-TIME-015
day_words(date) := sprintf("%s %d %s %d", [_weekdays[time.weekday(ns)], d[2], _months[d[1] - 1], d[0]]) if {
	ns = time.parse_rfc3339_ns(concat("", [date, "T12:00:00+00:00"]))
	d = time.date(ns)
}
