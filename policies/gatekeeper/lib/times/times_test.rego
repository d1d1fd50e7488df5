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

test_local_is_in_the_customers_time_zone if {
	times.local(times.parse_ns("2027-01-04T06:00:00Z"), "Europe/Amsterdam") == "Mon 4 Jan 2027, 07:00 (Amsterdam time)"
	times.local(times.parse_ns("2027-01-04T06:00:00Z"), "America/New_York") == "Mon 4 Jan 2027, 01:00 (New York time)"
	times.local(times.parse_ns("2026-12-28T23:39:00Z"), "Europe/Amsterdam") == "Tue 29 Dec 2026, 00:39 (Amsterdam time)"
}

test_local_follows_daylight_saving_time if {
	# Summer time in Amsterdam is UTC+2; New York's starts on 8 March 2026.
	times.local_text("2026-07-01T10:05:00Z", "Europe/Amsterdam") == "Wed 1 Jul 2026, 12:05 (Amsterdam time)"
	times.local_text("2026-03-09T12:00:00Z", "America/New_York") == "Mon 9 Mar 2026, 08:00 (New York time)"
}

test_local_in_utc_and_the_day_before if {
	times.local_text("2026-11-01T00:00:00Z", "UTC") == "Sun 1 Nov 2026, 00:00 (UTC time)"
	times.local_text("2026-11-01T03:00:00Z", "America/New_York") == "Sat 31 Oct 2026, 23:00 (New York time)"
}

test_place_names_the_zone if {
	times.place("America/New_York") == "New York"
	times.place("Europe/Amsterdam") == "Amsterdam"
	times.place("UTC") == "UTC"
}

test_words_from_parts if {
	times.words([2027, 1, 4], [7, 5, 9], "Monday", "New York") == "Mon 4 Jan 2027, 07:05 (New York time)"
	times.words([2026, 12, 31], [23, 59, 0], "Thursday", "UTC") == "Thu 31 Dec 2026, 23:59 (UTC time)"
}

test_place_with_and_without_the_view if {
	times.place("Asia/Ho_Chi_Minh") == "Ho Chi Minh"
	times.place("Europe/Amsterdam") == "from the view" with data.views.places as {"Europe/Amsterdam": "from the view"}
	times.place("Europe/Amsterdam") == "Amsterdam" with data.views as {}
	times.place_of("America/Argentina/Buenos_Aires") == "Buenos Aires"
}

test_hours_words_with_and_without_the_view if {
	times.hours_words(1) == {"num": "1", "text": "1 hour"}
	times.hours_words(4) == {"num": "4", "text": "4 hours"} with data.views as {}
	times.hours_words(2.5) == {"num": "2.5", "text": "2.5 hours"}
	times.hours_words(3) == {"num": "x", "text": "y"} with data.views.hours_words as [{}, {}, {}, {"num": "x", "text": "y"}]
	times.hours_words_of(1000) == {"num": "1000", "text": "1000 hours"}
}

test_day_words_name_the_date_s_own_weekday if {
	times.day_words("2026-12-25") == "Fri 25 Dec 2026"
	times.day_words("2027-01-01") == "Fri 1 Jan 2027"
	times.day_words("2028-02-29") == "Tue 29 Feb 2028"
}
