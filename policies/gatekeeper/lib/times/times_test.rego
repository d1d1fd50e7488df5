package gatekeeper.lib.times_test

import rego.v1

import data.gatekeeper.lib.times

test_parse_ns_accepts_z_and_offsets if {
	times.parse_ns("2026-11-23T10:00:00Z") == 1795428000000000000
	times.parse_ns("2026-11-23T10:00:00+00:00") == 1795428000000000000
	times.parse_ns("2026-11-23T11:00:00+01:00") == 1795428000000000000
}

test_format_is_rfc3339_utc_with_whole_seconds if {
	times.format(1795428000000000000) == "2026-11-23T10:00:00Z"
	times.format(times.parse_ns("2027-01-04T06:05:09Z")) == "2027-01-04T06:05:09Z"
}

test_add_hours_handles_fractions if {
	start := times.parse_ns("2026-11-23T10:00:00Z")
	times.format(times.add_hours(start, 8)) == "2026-11-23T18:00:00Z"
	times.format(times.add_hours(start, 1.5)) == "2026-11-23T11:30:00Z"
}

test_hours_between_rounds_up_to_a_tenth if {
	a := times.parse_ns("2026-11-23T10:00:00Z")
	times.hours_between(a, times.parse_ns("2026-11-25T07:00:00Z")) == 45
	times.hours_between(a, times.parse_ns("2026-11-23T10:01:00Z")) == 0.1
	times.hours_between(a, a) == 0
}

test_minutes_of_reads_leading_zeros if {
	times.minutes_of("08:00") == 480
	times.minutes_of("17:30") == 1050
	times.minutes_of("00:00") == 0
}
