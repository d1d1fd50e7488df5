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
		"reason": "Someone asked to take data out of Production ERP. By: carol@globex.example. An approver at the MSP must agree first.",
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

test_export_consequence_in_full if {
	data_protection.consequences == {{
		"id": "customer_data_export",
		"kind": "security",
		"severity": "high",
		"title": "customer data leaves the managed system",
		"summary": "An export takes customer data out of Production ERP. An approver at the MSP must agree first. We also tell Dana Whitfield, your security contact, at once.",
		"rule": "gatekeeper.rules.data_protection.consequences",
	}} with input as _input({})
}

test_full_admin_for_troubleshooting_reaches_customer_data if {
	inp := _input({"access": "full_admin", "purpose": "troubleshooting"})
	data_protection.consequences == {{
		"id": "customer_data_reach",
		"kind": "security",
		"severity": "high",
		"title": "this access can read customer data",
		"summary": "Full administrator can read the customer data in Production ERP, whatever the job. An approver at the MSP must agree first. We also tell Dana Whitfield, your security contact, at once.",
		"rule": "gatekeeper.rules.data_protection.consequences",
	}} with input as inp
	data_protection.escalations == {{
		"id": "security_contact",
		"contact": {"role": "security", "name": "Dana Whitfield", "email": "secops@globex.example"},
		"reason": "Someone asked for access to the customer data in Production ERP. By: carol@globex.example. An approver at the MSP must agree first.",
		"rule": "gatekeeper.rules.data_protection.escalations",
	}} with input as inp
	data_protection.outcomes == {{"outcome": "needs_approval", "rule": "gatekeeper.rules.data_protection.outcomes"}} with input as inp
	data_protection.reasons == {{
		"rule": "gatekeeper.rules.data_protection.consequences",
		"code": "GK-SEC-001",
		"message": "Access that reaches customer data needs approval (full_admin for troubleshooting); security contact secops@globex.example is escalated to.",
	}} with input as inp
}

test_an_environment_without_customer_data_is_not_reached if {
	data_protection.consequences == set() with input as _input({"access": "full_admin", "purpose": "troubleshooting", "environment": "development"})
}

test_a_level_that_cannot_reach_data_is_not_reached if {
	data_protection.consequences == set() with input as _input({"access": "scoped_admin", "purpose": "troubleshooting"})
}

test_an_honoured_emergency_skips_the_approval_and_says_so if {
	inp := object.union(
		_input({"access": "full_admin", "purpose": "troubleshooting", "urgency": "emergency"}),
		{"identity": {"subject": "oncall@msp.example", "role": "engineer", "organisation": null}},
	)
	data_protection.consequences == {{
		"id": "customer_data_reach",
		"kind": "security",
		"severity": "high",
		"title": "this access can read customer data",
		"summary": "Full administrator can read the customer data in Production ERP, whatever the job. As this is an emergency, it starts without the usual approval. We tell Dana Whitfield, your security contact, at once. The review afterwards checks it.",
		"rule": "gatekeeper.rules.data_protection.consequences",
	}} with input as inp
	data_protection.outcomes == set() with input as inp
	data_protection.approvals == set() with input as inp
	data_protection.escalations == set() with input as inp
}

test_an_export_needs_approval_even_in_an_emergency if {
	inp := object.union(_input({"urgency": "emergency"}), {"identity": {"subject": "oncall@msp.example", "role": "engineer", "organisation": null}})
	data_protection.outcomes == {{"outcome": "needs_approval", "rule": "gatekeeper.rules.data_protection.outcomes"}} with input as inp
}

test_a_bundle_without_views_answers_the_same if {
	inp := _input({"access": "full_admin", "purpose": "troubleshooting"})
	with_view := data_protection.escalations with input as inp
	without_view := data_protection.escalations with input as inp with data.views as {}
	with_view == without_view
	count(with_view) == 1
	consequences := data_protection.consequences with input as inp
	consequences == data_protection.consequences with input as inp with data.views as {}
}
