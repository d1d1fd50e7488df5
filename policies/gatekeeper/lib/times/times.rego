# METADATA
# title: Time helpers
# description: |
#   Parsing and formatting of RFC 3339 UTC timestamps that behave the same on every engine.
#   Some engines do not parse a trailing "Z" and format nanoseconds differently, so timestamps
#   are parsed with an explicit "+00:00" offset and formatted from date and clock parts.
package gatekeeper.lib.times

import rego.v1

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
