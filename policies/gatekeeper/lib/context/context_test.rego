package gatekeeper.lib.context_test

import rego.v1

import data.gatekeeper.lib.context

_input(overrides) := {
	"request": object.union(
		{
			"customer": "acme", "environment": "production", "access": "full_admin",
			"purpose": "software_install", "need": "n", "systems": [],
			"start": "2026-11-23T09:00:00Z", "duration_hours": 8, "justification": "j",
			"urgency": "normal", "ticket": "T-1",
		},
		overrides,
	),
	"identity": {"subject": "a@acme.example", "role": "customer", "organisation": "acme"},
	"now": "2026-11-23T09:00:00Z",
}

test_downtime_comes_from_reprovision_hours if {
	context.breaks_baseline with input as _input({})
	context.downtime_hours == 24 with input as _input({})
	context.downtime_hours == 6 with input as _input({"environment": "staging"})
}

test_no_downtime_without_a_managed_baseline if {
	not context.breaks_baseline with input as _input({"customer": "globex", "environment": "development"})
	context.downtime_hours == 0 with input as _input({"customer": "globex", "environment": "development"})
	context.downtime_hours == 0 with input as _input({"access": "scoped_admin"})
}

test_duration_is_capped_at_the_access_level_maximum if {
	context.duration_hours == 8 with input as _input({"access": "scoped_admin", "duration_hours": 12})
	context.duration_capped with input as _input({"access": "scoped_admin", "duration_hours": 12})
	not context.duration_capped with input as _input({})
}

test_blocking_freeze_is_the_one_that_ends_last if {
	inp := _input({"start": "2026-11-27T09:00:00Z"})
	freezes := [
		{"id": "short", "title": "s", "start": "2026-11-27T00:00:00Z", "end": "2026-11-28T00:00:00Z", "reason": "r"},
		{"id": "long", "title": "l", "start": "2026-11-26T00:00:00Z", "end": "2026-11-30T00:00:00Z", "reason": "r"},
	]
	context.blocking_freeze.id == "long" with input as inp
		with data.customers.acme.environments.production.change_freezes as freezes
	context.freeze_wait_hours == 63 with input as inp
		with data.customers.acme.environments.production.change_freezes as freezes
}

test_preferences_have_defaults if {
	context.preferences == {"tolerated_downtime_hours": 0, "priority": "speed", "involvement": "delegate"} with input as _input({})
		with data.customers.acme.preferences as {}
}

test_urgent_requests_rank_for_speed if {
	prefs := {"tolerated_downtime_hours": 8, "priority": "speed", "involvement": "detail", "urgent": true}
	context.preferences == prefs with input as _input({"customer": "globex", "urgency": "high"})
	context.preferences == prefs with input as _input({"customer": "globex", "urgency": "emergency"})
	context.preferences == {"tolerated_downtime_hours": 8, "priority": "completeness", "involvement": "detail"} with input as _input({"customer": "globex"})
}

test_only_who_the_customer_names_may_declare_an_emergency if {
	not context.emergency with input as _input({"urgency": "emergency"})
	context.emergency_refused with input as _input({"urgency": "emergency"})
	context.emergency with input as object.union(_input({"urgency": "emergency"}), {"identity": {"subject": "pieter.bakker@acme.example"}})
	context.emergency with input as object.union(_input({"urgency": "emergency"}), {"identity": {"role": "engineer"}})
	not context.emergency_refused with input as _input({"urgency": "high"})
}

test_reach_and_fit_come_from_the_catalogue if {
	context.reaches_customer_data with input as _input({"purpose": "troubleshooting"})
	not context.reaches_customer_data with input as _input({"environment": "staging"})
	not context.reaches_customer_data with input as _input({"access": "read_only"})
	context.reaches_customer_data with input as _input({}) with data.customers.acme.environments.staging.holds_customer_data as true
	not context.misfit with input as _input({})
	context.misfit with input as _input({"access": "read_only"})
}

test_grant_times_in_words_are_the_customers_local_times if {
	# Monday 09:00 UTC is 10:00 in Amsterdam, within Acme's support hours: the grant starts
	# at once and ends 8 hours later.
	context.grant_start_text == "Mon 23 Nov 2026, 10:00 (Amsterdam time)" with input as _input({})
	context.end_text == "Mon 23 Nov 2026, 18:00 (Amsterdam time)" with input as _input({})
}

test_grant_start_in_words_is_when_support_opens if {
	# Saturday: full admin needs an engineer, and Bakkerij Jansen's support opens Monday to
	# Friday at 08:00 Amsterdam time, so the grant starts then and ends 8 hours later.
	inp := _input({"customer": "bakkerij_jansen", "start": "2026-11-28T09:00:00Z"})
	context.waits_for_support with input as inp
	context.grant_start_text == "Mon 30 Nov 2026, 08:00 (Amsterdam time)" with input as inp
	context.end_text == "Mon 30 Nov 2026, 16:00 (Amsterdam time)" with input as inp
}

test_grant_start_as_a_timestamp if {
	context.grant_starts_at == "2026-11-23T09:00:00Z" with input as _input({})
	inp := _input({"customer": "bakkerij_jansen", "start": "2026-11-28T09:00:00Z"})
	context.grant_starts_at == "2026-11-30T07:00:00Z" with input as inp
	context.support_opens_at == "2026-11-30T07:00:00Z" with input as inp
}

test_support_hours_with_and_without_views if {
	inp := _input({"customer": "bakkerij_jansen", "start": "2026-11-28T09:00:00Z"})
	context.support_hours_text == "Monday to Friday 08:00-17:00 (Amsterdam time)" with input as inp
	context.support_hours_text == "Monday to Friday 08:00-17:00 (Amsterdam time)" with input as inp with data.views as {}
	context.support_hours_text == "around the clock (24x7)" with input as _input({}) with data.views as {}
	context.grant_start_text == "Mon 30 Nov 2026, 08:00 (Amsterdam time)" with input as inp with data.views as {}
	context.support_wait_hours == 46 with input as inp with data.views as {}

	# Friday 16:30 in Amsterdam is within support hours; 17:00 is not
	context.support_open with input as _input({"customer": "bakkerij_jansen", "start": "2026-11-27T15:30:00Z"}) with data.views as {}
	not context.support_open with input as _input({"customer": "bakkerij_jansen", "start": "2026-11-27T16:00:00Z"})
	context.support_open with input as _input({}) with data.views as {}
}

test_a_holiday_closes_support_and_is_named if {
	# Friday 25 December, 10:00 in Amsterdam: a support day and hour, but Christmas Day
	christmas := _input({"customer": "bakkerij_jansen", "start": "2026-12-25T09:00:00Z"})
	not context.support_open with input as christmas
	not context.support_open with input as christmas with data.views as {}
	context.support_opens_at == "2026-12-28T07:00:00Z" with input as christmas
	context.support_closures_text == "Support is closed on Fri 25 Dec 2026 (Christmas Day) and Sat 26 Dec 2026 (Second Christmas Day). " with input as christmas

	# Thursday 31 December after closing: New Year's Day is skipped, Monday 4 January opens
	eve := _input({"customer": "bakkerij_jansen", "start": "2026-12-31T17:00:00Z"})
	context.support_opens_at == "2027-01-04T07:00:00Z" with input as eve with data.views as {}
	context.support_closures_text == "Support is closed on Fri 1 Jan 2027 (New Year's Day). " with input as eve

	# an ordinary wait names no closure
	context.support_closures_text == "" with input as _input({"customer": "bakkerij_jansen", "start": "2026-11-28T09:00:00Z"})
}
