package gatekeeper.rules.data_protection_test

import rego.v1

import data.gatekeeper.rules.data_protection

_input(overrides) := {
	"request": object.union(
		{
			"customer": "globex", "environment": "production", "access": "data_export",
			"purpose": "data_export", "need": "n", "systems": [],
			"start": "2026-11-23T15:00:00Z", "duration_hours": 4, "justification": "j",
			"urgency": "normal", "ticket": "T-1",
		},
		overrides,
	),
	"identity": {"subject": "carol@globex.example", "role": "customer", "organisation": "globex"},
	"now": "2026-11-23T15:00:00Z",
}

test_export_escalates_to_the_security_contact if {
	data_protection.escalations == {{
		"id": "security_contact",
		"contact": {"role": "security", "name": "Dana Whitfield", "email": "secops@globex.example"},
		"reason": "carol@globex.example asked to export data from globex/production.",
		"rule": "gatekeeper.rules.data_protection.escalations",
	}} with input as _input({})
}

test_export_needs_approval if {
	data_protection.outcomes == {{"outcome": "needs_approval", "rule": "gatekeeper.rules.data_protection.outcomes"}} with input as _input({})
	data_protection.approvals == {{"roles": ["approver"], "count": 1, "rule": "gatekeeper.rules.data_protection.approvals"}} with input as _input({})
}

test_export_purpose_with_read_only_access_also_counts if {
	count(data_protection.escalations) == 1 with input as _input({"access": "read_only"})
}

test_troubleshooting_is_not_an_export if {
	count(data_protection.consequences) == 0 with input as _input({"access": "read_only", "purpose": "troubleshooting"})
	count(data_protection.escalations) == 0 with input as _input({"access": "read_only", "purpose": "troubleshooting"})
}
