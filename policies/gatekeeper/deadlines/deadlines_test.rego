package gatekeeper.deadlines_test

import rego.v1

import data.gatekeeper.deadlines

_ask(customer, state, since, now) := {"request": {"customer": customer, "state": state}, "since": since, "now": now}

test_around_the_clock_the_deadline_is_the_tiers_hours_later if {
	d := deadlines.deadline with input as _ask("acme", "awaiting_approval", "2026-12-07T10:00:00Z", "2026-12-07T11:00:00Z")
	d.due == "2026-12-07T14:00:00Z"
	d.summary == "An approver should answer by Mon 7 Dec 2026, 15:00 (Amsterdam time) (within 4 hours)."
	d.level == 0
}

test_in_business_hours_only_open_hours_count if {
	# Friday 21:30 in New York: half an hour before closing, then Saturday from 06:00
	d := deadlines.deadline with input as _ask("globex", "awaiting_approval", "2026-12-05T02:30:00Z", "2026-12-05T03:00:00Z")
	d.due == "2026-12-05T18:30:00Z"
	d.due_text == "Sat 5 Dec 2026, 13:30 (New York time)"
	endswith(d.summary, "(within 8 support hours).")
}

test_each_further_period_is_one_more_level_up_to_the_last_contact if {
	one := deadlines.deadline with input as _ask("acme", "awaiting_approval", "2026-12-07T10:00:00Z", "2026-12-07T15:00:00Z")
	one.level == 1
	two := deadlines.deadline with input as _ask("acme", "awaiting_approval", "2026-12-07T10:00:00Z", "2026-12-07T18:00:00Z")
	two.level == 2
	late := deadlines.deadline with input as _ask("acme", "awaiting_approval", "2026-12-07T10:00:00Z", "2026-12-09T10:00:00Z")
	late.level == 2
}

test_acceptance_has_its_own_deadline if {
	d := deadlines.deadline with input as _ask("bakkerij_jansen", "awaiting_acceptance", "2026-12-04T15:00:00Z", "2026-12-04T16:00:00Z")
	startswith(d.summary, "Please accept or choose an option by ")
	d.hours == 72
}

test_a_grant_has_no_deadline if {
	not deadlines.deadline with input as _ask("acme", "granted", "2026-12-07T10:00:00Z", "2026-12-07T11:00:00Z")
}

test_a_closed_date_counts_no_hour if {
	# Thursday 24 December 21:30 in New York: half an hour before closing; Christmas Day is
	# closed, so the other 7.5 hours run on Saturday 26 December from 06:00
	since := "2026-12-25T02:30:00Z"
	d := deadlines.deadline with input as _ask("globex", "awaiting_approval", since, "2026-12-25T03:00:00Z")
	d.due_text == "Sat 26 Dec 2026, 13:30 (New York time)"

	# the same wait a week earlier is due the next morning
	e := deadlines.deadline with input as _ask("globex", "awaiting_approval", "2026-12-18T02:30:00Z", "2026-12-18T03:00:00Z")
	e.due_text == "Fri 18 Dec 2026, 13:30 (New York time)"
}

test_a_long_closure_moves_the_deadline_past_it if {
	# Silver (8 support hours to approve), Monday to Friday 09:00-17:00 in Amsterdam, closed for
	# the two weeks from Monday 4 January: the hours run on Monday 18 January
	dates := ["2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07", "2027-01-08", "2027-01-11", "2027-01-12", "2027-01-13", "2027-01-14", "2027-01-15"]
	shop := {"tier": "silver", "timezone": "Europe/Amsterdam", "support_hours": {
		"mode": "business_hours", "days": ["monday", "tuesday", "wednesday", "thursday", "friday"],
		"open": "09:00", "close": "17:00", "closed_on": [{"date": d, "name": "winter shutdown"} | some d in dates],
	}}
	d := deadlines.deadline with input as _ask("shop", "awaiting_approval", "2027-01-01T18:00:00Z", "2027-01-01T18:30:00Z")
		with data.customers.shop as shop
	d.due_text == "Mon 18 Jan 2027, 17:00 (Amsterdam time)"
}
