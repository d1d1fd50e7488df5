package gatekeeper.views_test

import rego.v1

import data.gatekeeper.views

# Names of their own: gatekeeper/views/views_test.rego shares this package.
_alts_customers := {
	"quick": {"tier": "gold", "preferences": {"priority": "speed", "involvement": "delegate"}},
	"thorough": {"tier": "gold", "preferences": {"priority": "completeness", "involvement": "detail"}},
}

_alts_catalog := {
	"purposes": {"audit": {}},
	"access_levels": {"none": {}, "admin": {}},
	"alternatives": {
		"fast": {"title": "T", "summary": "s", "fulfils": ["audit"], "access": "none", "lead_time_hours": 0, "downtime_hours": 0, "completeness": 1, "involvement": "delegate", "needs_msp_staff": true, "changes_system": true, "approval": {"required": false}},
		"full": {"title": "T", "summary": "s", "fulfils": ["audit"], "access": "admin", "lead_time_hours": 8, "downtime_hours": 0, "completeness": 3, "involvement": "detail", "needs_msp_staff": true, "changes_system": true, "approval": {"required": false}},
	},
}

test_urgent_requests_of_every_profile_rank_for_speed_and_say_so if {
	v := views.urgent_alternatives with data.customers as _alts_customers with data.catalog as _alts_catalog
	{k | some k, _ in v} == {
		"speed|delegate|0|audit|none", "speed|delegate|0|audit|admin",
		"completeness|detail|0|audit|none", "completeness|detail|0|audit|admin",
	}
	[[a.id, a.rank, a.why] | some a in v["completeness|detail|0|audit|admin"]] == [["fast", 1, "Best for you: this is urgent, so speed comes first. It is the only choice that does the job. It can be in place at once."]]
	[[a.id, a.why] | some a in v["completeness|detail|0|audit|none"]] == [["full", "Best for you: this is urgent, so speed comes first. It is the only choice that does the job. It can be in place in 8 hours."]]
}

test_the_urgent_view_is_rank_for_urgent_preferences if {
	v := views.urgent_alternatives with data.customers as _alts_customers with data.catalog as _alts_catalog
	prefs := {"priority": "speed", "involvement": "detail", "tolerated_downtime_hours": 0, "urgent": true}
	expected := data.gatekeeper.alternatives.rank(prefs, "audit", "none", 0, 0) with data.catalog as _alts_catalog
	v["completeness|detail|0|audit|none"] == expected
}

test_candidates_of_every_profile_access_and_urgency if {
	v := views.alternative_candidates with data.customers as _alts_customers with data.catalog as _alts_catalog
	{k | some k, _ in v} == {
		"speed|delegate|0|audit|none|usual", "speed|delegate|0|audit|admin|usual",
		"completeness|detail|0|audit|none|usual", "completeness|detail|0|audit|admin|usual",
		"speed|delegate|0|audit|none|urgent", "speed|delegate|0|audit|admin|urgent",
		"completeness|detail|0|audit|none|urgent", "completeness|detail|0|audit|admin|urgent",
	}
	usual := {"priority": "completeness", "involvement": "detail", "tolerated_downtime_hours": 0}
	urgent := object.union(usual, {"priority": "speed", "urgent": true})
	v["completeness|detail|0|audit|none|usual"] == data.gatekeeper.alternatives.candidates(usual, "audit", "none") with data.catalog as _alts_catalog
	v["completeness|detail|0|audit|none|urgent"] == data.gatekeeper.alternatives.candidates(urgent, "audit", "none") with data.catalog as _alts_catalog
}
