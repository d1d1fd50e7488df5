package gatekeeper.rules.time_box_test

import rego.v1

import data.gatekeeper.rules.time_box

_input(overrides) := {
	"request": object.union(
		{
			"customer": "acme", "environment": "production", "access": "read_only",
			"purpose": "troubleshooting", "need": "n", "systems": [],
			"start": "2026-11-23T09:00:00Z", "duration_hours": 4, "justification": "j",
			"urgency": "normal", "ticket": "T-1",
		},
		overrides,
	),
	"identity": {"subject": "a@acme.example", "role": "customer", "organisation": "acme"},
	"now": "2026-11-23T09:00:00Z",
}

test_grant_ends_after_the_requested_hours if {
	time_box.conditions == {{
		"id": "time_box",
		"summary": "Your access starts Mon 23 Nov 2026, 10:00 (Amsterdam time). It ends by itself after 4 hours, at Mon 23 Nov 2026, 14:00 (Amsterdam time).",
		"starts_at": "2026-11-23T09:00:00Z",
		"ends_at": "2026-11-23T13:00:00Z",
		"duration_hours": 4,
		"rule": "gatekeeper.rules.time_box.conditions",
	}} with input as _input({})
}

test_duration_is_capped if {
	some c in time_box.conditions with input as _input({"duration_hours": 48})
	c.duration_hours == 24
	c.ends_at == "2026-11-24T09:00:00Z"
	endswith(c.summary, "after 24 hours, at Tue 24 Nov 2026, 10:00 (Amsterdam time). You asked for 48 hours, but this access lasts 24 hours at most.")
}

test_time_box_starts_when_support_opens if {
	inp := _input({"customer": "bakkerij_jansen", "access": "scoped_admin", "start": "2026-11-28T10:00:00Z", "duration_hours": 2})
	some c in time_box.conditions with input as inp
	c.starts_at == "2026-11-30T07:00:00Z"
	c.ends_at == "2026-11-30T09:00:00Z"
}

test_time_box_is_the_same_without_views if {
	inp := _input({"customer": "bakkerij_jansen", "access": "scoped_admin", "start": "2026-11-28T10:00:00Z", "duration_hours": 12})
	with_views := {"conditions": time_box.conditions, "reasons": time_box.reasons} with input as inp
	without := {"conditions": time_box.conditions, "reasons": time_box.reasons} with input as inp with data.views as {}
	with_views == without
	with_views.reasons == {{
		"rule": "gatekeeper.rules.time_box.conditions", "code": "GK-TB-001",
		"message": "Time box of 8 h ending 2026-11-30T15:00:00Z (at most 8 h for scoped_admin).",
	}}
}
