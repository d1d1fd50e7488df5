package gatekeeper.rules.overlap_test

import rego.v1

import data.gatekeeper.rules.overlap

_input(overrides, overlapping) := {
	"request": object.union(
		{
			"customer": "bakkerij_jansen", "environment": "production", "access": "full_admin",
			"purpose": "software_install", "need": "n", "systems": [],
			"start": "2026-11-24T08:00:00Z", "duration_hours": 8, "justification": "j",
			"urgency": "normal", "ticket": "T-1",
		},
		overrides,
	),
	"identity": {"subject": "kees@bakkerij-jansen.example", "role": "customer", "organisation": "bakkerij_jansen"},
	"now": "2026-11-23T09:00:00Z",
	"context": {"sla_downtime": [], "overlapping": overlapping},
}

_item(id, state, systems) := {
	"request_id": id, "state": state, "access": "full_admin", "systems": systems,
	"starts_at": "2026-11-24T08:00:00Z", "ends_at": "2026-11-24T16:00:00Z",
}

test_a_grant_of_the_whole_environment_overlaps if {
	overlap.consequences == {{
		"id": "overlap",
		"kind": "overlap",
		"severity": "medium",
		"title": "Other access at the same time",
		"summary": "This time overlaps 1 grant on Shop and bookkeeping server: request first. Two people changing the same systems at once can undo each other's work. Check with them first, or pick another time.",
		"overlapping_request_ids": ["first"],
		"overlapping_granted": 1,
		"overlapping_pending": 0,
		"rule": "gatekeeper.rules.overlap.consequences",
	}} with input as _input({"systems": ["shop-01"]}, [_item("first", "granted", [])])
	overlap.reasons == {{
		"rule": "gatekeeper.rules.overlap.consequences",
		"code": "GK-OVL-001",
		"message": "Overlaps 1 granted and 0 pending request(s) in time and systems: first.",
	}} with input as _input({"systems": ["shop-01"]}, [_item("first", "granted", [])])
}

test_grants_and_waiting_requests_are_counted_and_sorted if {
	items = [
		_item("c", "awaiting_approval", ["shop-01"]),
		_item("a", "granted", ["shop-01", "db-01"]),
		_item("b", "awaiting_acceptance", []),
		_item("d", "granted", ["db-01"]),
	]
	overlap.consequences == {{
		"id": "overlap",
		"kind": "overlap",
		"severity": "medium",
		"title": "Other access at the same time",
		"summary": "This time overlaps 1 grant and 2 waiting requests on Shop and bookkeeping server: request a, request b, request c. Two people changing the same systems at once can undo each other's work. Check with them first, or pick another time.",
		"overlapping_request_ids": ["a", "b", "c"],
		"overlapping_granted": 1,
		"overlapping_pending": 2,
		"rule": "gatekeeper.rules.overlap.consequences",
	}} with input as _input({"access": "scoped_admin", "systems": ["shop-01"]}, items)
}

test_only_waiting_requests_are_low if {
	some c in overlap.consequences with input as _input({}, [_item("x", "awaiting_approval", ["shop-01"]), _item("y", "awaiting_acceptance", ["shop-01"])])
	c.severity == "low"
	c.summary == "This time overlaps 2 waiting requests on Shop and bookkeeping server: request x, request y. Two people changing the same systems at once can undo each other's work. Check with them first, or pick another time."
}

test_other_systems_read_only_emergencies_and_no_context_do_not_overlap if {
	count(overlap.consequences) == 0 with input as _input({"systems": ["shop-01"]}, [_item("x", "granted", ["db-01"])])
	count(overlap.consequences) == 0 with input as _input({"access": "read_only", "purpose": "troubleshooting"}, [_item("x", "granted", [])])
	count(overlap.consequences) == 0 with input as _input({"urgency": "emergency"}, [_item("x", "granted", [])])
	count(overlap.consequences) == 0 with input as _input({}, [])
	count(overlap.consequences) == 0 with input as object.remove(_input({}, []), ["context"])
}

test_systems_are_shared_when_either_side_names_none_or_one_is_common if {
	overlap.shares_systems([], ["a"])
	overlap.shares_systems(["a"], [])
	overlap.shares_systems(["a", "b"], ["b"])
	not overlap.shares_systems(["a"], ["b"])
}
