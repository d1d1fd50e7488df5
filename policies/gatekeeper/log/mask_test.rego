package gatekeeper.log_test

import rego.v1

import data.gatekeeper.log

_event(request, result) := {"decision_id": "d1", "input": {"request": request}, "result": result}

test_free_text_is_erased_or_replaced_by_its_length if {
	m := log.mask with input as _event(
		{"customer": "acme", "need": "install the ERP client", "justification": "call Bob on 555-0100"},
		{"outcome": "allow", "summary": "You asked to: install the ERP client."},
	)
	m == {
		"/input/request/justification",
		{"op": "upsert", "path": "/input/request/need", "value": "[masked: the requester's own words, 22 characters]"},
		{"op": "upsert", "path": "/result/summary", "value": "[masked: the requester's own words, 37 characters]"},
	}
}

test_nothing_to_mask_without_free_text if {
	m := log.mask with input as _event({"customer": "acme"}, {"outcome": "allow"})
	m == set()
}

test_an_empty_justification_is_left_alone if {
	m := log.mask with input as _event({"justification": ""}, {})
	m == set()
}
