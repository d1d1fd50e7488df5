package gatekeeper.views_test

import rego.v1

import data.gatekeeper.views

test_the_data_protection_view_is_what_texts_gives_for_every_scope if {
	key := data.gatekeeper.lib.context.scope_key("globex", "production", "full_admin")
	views.data_protection[key] == data.gatekeeper.rules.data_protection.texts("globex", "production", "full_admin")
	views.data_protection[key].reach == {
		"consequence": {
			"id": "customer_data_reach",
			"kind": "security",
			"severity": "high",
			"title": "this access can read customer data",
			"summary": "Full administrator can read the customer data in Production ERP, whatever the job. An approver at the MSP must agree first. We also tell Dana Whitfield, your security contact, at once.",
			"rule": "gatekeeper.rules.data_protection.consequences",
		},
		"contact": {"role": "security", "name": "Dana Whitfield", "email": "secops@globex.example"},
		"reason_start": "Someone asked for access to the customer data in Production ERP. By: ",
		"then": "An approver at the MSP must agree first.",
		"why": "Access that reaches customer data needs approval",
	}
}

test_the_data_protection_view_has_every_scope if {
	scopes := {k |
		some c, e, a
		data.customers[c].environments[e]
		data.catalog.access_levels[a]
		k := data.gatekeeper.lib.context.scope_key(c, e, a)
	}
	count(scopes) > 0
	object.keys(views.data_protection) == scopes
}
