package gatekeeper.rules.support_hours_test

import rego.v1

import data.gatekeeper.rules.support_hours

_input(overrides) := {
	"request": object.union(
		{
			"customer": "bakkerij_jansen", "environment": "production", "access": "scoped_admin",
			"purpose": "software_install", "need": "n", "systems": ["shop-01"],
			"start": "2026-11-28T10:00:00Z", "duration_hours": 2, "justification": "j",
			"urgency": "normal", "ticket": null,
		},
		overrides,
	),
	"identity": {"subject": "kees@bakkerij-jansen.example", "role": "customer", "organisation": "bakkerij_jansen"},
	"now": "2026-11-28T10:00:00Z",
}

test_saturday_request_waits_for_monday if {
	support_hours.consequences == {{
		"id": "outside_support_hours",
		"kind": "lead_time",
		"severity": "medium",
		"title": "45 hours until support opens",
		"summary": "Your support hours are Monday to Friday 08:00-17:00 (Amsterdam time). One of our engineers can set this up when support opens: Mon 30 Nov 2026, 08:00 (Amsterdam time), in 45 hours. Self-service options can start sooner.",
		"lead_time_hours": 45,
		"earliest_start": "2026-11-30T07:00:00Z",
		"rule": "gatekeeper.rules.support_hours.consequences",
	}} with input as _input({})
	support_hours.outcomes == {{"outcome": "allow_with_consequences", "rule": "gatekeeper.rules.support_hours.outcomes"}} with input as _input({})
}

test_in_hours_request_does_not_wait if {
	count(support_hours.consequences) == 0 with input as _input({"start": "2026-11-30T09:00:00Z"})
}

test_self_service_access_does_not_wait if {
	count(support_hours.consequences) == 0 with input as _input({"access": "read_only", "purpose": "troubleshooting"})
}

test_emergency_does_not_wait if {
	count(support_hours.consequences) == 0 with input as _input({"urgency": "emergency"})
}

test_24x7_customer_never_waits if {
	count(support_hours.consequences) == 0 with input as _input({"customer": "acme"})
}

test_the_wait_is_the_same_without_views if {
	with_views := {"c": support_hours.consequences, "r": support_hours.reasons} with input as _input({})
	without := {"c": support_hours.consequences, "r": support_hours.reasons} with input as _input({}) with data.views as {}
	with_views == without
	with_views.r == {{
		"rule": "gatekeeper.rules.support_hours.consequences", "code": "GK-SUP-001",
		"message": "Requested start 2026-11-28T10:00:00Z is outside support hours (Monday to Friday 08:00-17:00 (Amsterdam time)); support opens 2026-11-30T07:00:00Z.",
	}}
}

test_christmas_eve_evening_waits_past_the_holidays if {
	# Thursday 24 December 18:00 in Amsterdam: Friday is Christmas Day, then the weekend
	req := _input({"start": "2026-12-24T17:00:00Z"})
	support_hours.consequences == {{
		"id": "outside_support_hours",
		"kind": "lead_time",
		"severity": "medium",
		"title": "86 hours until support opens",
		"summary": "Your support hours are Monday to Friday 08:00-17:00 (Amsterdam time). Support is closed on Fri 25 Dec 2026 (Christmas Day) and Sat 26 Dec 2026 (Second Christmas Day). One of our engineers can set this up when support opens: Mon 28 Dec 2026, 08:00 (Amsterdam time), in 86 hours. Self-service options can start sooner.",
		"lead_time_hours": 86,
		"earliest_start": "2026-12-28T07:00:00Z",
		"rule": "gatekeeper.rules.support_hours.consequences",
	}} with input as req
	support_hours.conditions == {{
		"id": "starts_when_support_opens",
		"summary": "Your access starts when support opens: Mon 28 Dec 2026, 08:00 (Amsterdam time).",
		"earliest_start": "2026-12-28T07:00:00Z",
		"rule": "gatekeeper.rules.support_hours.conditions",
	}} with input as req
}

test_a_holiday_waits_the_same_without_views if {
	req := _input({"start": "2026-12-25T09:00:00Z"})
	with_views := {"c": support_hours.consequences, "r": support_hours.reasons} with input as req
	without := {"c": support_hours.consequences, "r": support_hours.reasons} with input as req with data.views as {}
	with_views == without
	some c in with_views.c
	c.earliest_start == "2026-12-28T07:00:00Z"
}

test_the_day_after_a_holiday_is_open_as_usual if {
	count(support_hours.consequences) == 0 with input as _input({"start": "2026-12-28T09:00:00Z"})
}
