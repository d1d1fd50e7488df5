package gatekeeper.reports.security_test

import rego.v1

import data.gatekeeper.reports.security

_customers := {"shop": {"environments": {
	"prod": {"criticality": "critical"},
	"test": {"criticality": "low"},
	"lab": {},
}}}

_r(id, env, access, urgency, escalated, at) := {
	"id": id, "environment": env, "access": access, "urgency": urgency,
	"escalated": escalated, "created_at": at,
}

test_most_critical_first_then_urgent_then_oldest if {
	requests := [
		_r("a", "test", "break_glass", "normal", false, "2026-12-01T08:00:00Z"),
		_r("b", "prod", "read_only", "normal", true, "2026-12-03T08:00:00Z"),
		_r("c", "prod", "full_admin", "emergency", false, "2026-12-04T08:00:00Z"),
		_r("d", "prod", "read_only", "normal", true, "2026-12-02T08:00:00Z"),
		_r("e", "lab", "read_only", "emergency", false, "2026-12-01T07:00:00Z"),
		_r("f", "prod", "scoped_admin", "normal", false, "2026-12-01T06:00:00Z"),
		_r("g", "gone", "read_only", "normal", true, "2026-12-01T05:00:00Z"),
	]
	order := security.order with input as {"customer": "shop", "requests": requests}
		with data.customers as _customers

	# f is no security item; an environment without criticality, or one no longer in the
	# contract, comes last
	order == ["c", "d", "b", "a", "e", "g"]
}

test_no_items_is_an_empty_list if {
	order := security.order with input as {"customer": "shop", "requests": [_r("f", "prod", "read_only", "normal", false, "2026-12-01T06:00:00Z")]}
		with data.customers as _customers
	order == []
}
