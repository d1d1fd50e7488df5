package gatekeeper.rules.purpose_fit_test

import rego.v1

import data.gatekeeper.rules.purpose_fit

_input(overrides) := {
	"request": object.union(
		{
			"customer": "acme", "environment": "production", "access": "read_only",
			"purpose": "software_install", "need": "install the ERP client", "systems": [],
			"start": "2026-11-23T15:00:00Z", "duration_hours": 4, "justification": "j",
			"urgency": "normal", "ticket": "T-1",
		},
		overrides,
	),
	"identity": {"subject": "alice@acme.example", "role": "customer", "organisation": "acme"},
	"now": "2026-11-23T15:00:00Z",
}

test_read_only_for_an_install_says_so_plainly if {
	purpose_fit.consequences == {{
		"id": "access_does_not_fit",
		"kind": "fit",
		"severity": "high",
		"title": "this access will not let you install software",
		"summary": "Read-only access will not let you install software.",
		"purpose": "software_install",
		"rule": "gatekeeper.rules.purpose_fit.consequences",
	}} with input as _input({})
	purpose_fit.reasons == {{
		"rule": "gatekeeper.rules.purpose_fit.consequences",
		"code": "GK-FIT-001",
		"message": "Access level read_only does not fulfil purpose software_install (it fulfils troubleshooting, audit).",
	}} with input as _input({})
}

test_read_only_for_a_configuration_change_says_so_plainly if {
	[c.summary | some c in purpose_fit.consequences] == ["Read-only access will not let you change settings."] with input as _input({"purpose": "configuration_change"})
}

test_access_that_fits_says_nothing if {
	purpose_fit.consequences == set() with input as _input({"purpose": "troubleshooting"})
	purpose_fit.reasons == set() with input as _input({"access": "scoped_admin"})
}

test_fit_comes_from_the_catalogue if {
	purpose_fit.consequences == set() with input as _input({})
		with data.catalog.access_levels.read_only.fulfils as ["software_install"]
}
