package gatekeeper.views_test

import rego.v1

import data.gatekeeper.views

_alt(fulfils, access, lead, completeness, involvement) := {
	"title": "T", "summary": "s", "fulfils": fulfils, "access": access,
	"lead_time_hours": lead, "downtime_hours": 0, "completeness": completeness,
	"involvement": involvement, "needs_msp_staff": true, "changes_system": true,
	"approval": {"required": false},
}

_customers := {
	"quick": {"tier": "gold", "preferences": {"priority": "speed", "involvement": "delegate"}},
	"thorough": {"tier": "gold", "preferences": {"priority": "completeness", "involvement": "detail"}},
	"also_quick": {"tier": "bronze", "preferences": {"involvement": "delegate", "tolerated_downtime_hours": 0}},
}

_catalog := {
	"purposes": {"audit": {}, "backup": {}},
	"access_levels": {"none": {}, "read_only": {}, "admin": {}},
	"alternatives": {
		"fast": _alt(["audit"], "none", 0, 1, "delegate"),
		"full": _alt(["audit"], "read_only", 8, 3, "detail"),
	},
}

_entry(id, rank, lead, completeness, access, involvement, why) := {
	"id": id, "title": "T", "summary": "s", "fulfils": ["audit"], "access": access,
	"lead_time_hours": lead, "downtime_hours": 0, "completeness": completeness,
	"involvement": involvement, "conditions": [],
	"approval": {"required": false, "roles": [], "count": 0},
	"rank": rank, "why": why, "rule": "gatekeeper.alternatives.ranked",
}

# Acme-like (speed): the fast one first; Globex-like (completeness): the full one first.
_fast_quick_1 := _entry("fast", 1, 0, 1, "none", "delegate", "Best for you: it is the fastest. It can be in place at once.")

_fast_quick_alone := _entry("fast", 1, 0, 1, "none", "delegate", "Best for you: it is the only choice that does the job. It can be in place at once.")

_full_quick_2 := _entry("full", 2, 8, 3, "read_only", "detail", "Rank 2: it is slower than rank 1. It can be in place in 8 hours.")

_full_quick_alone := _entry("full", 1, 8, 3, "read_only", "detail", "Best for you: it is the only choice that does the job. It can be in place in 8 hours.")

_full_thorough_1 := _entry("full", 1, 8, 3, "read_only", "detail", "Best for you: it covers all of your need, the most of any choice.")

_full_thorough_alone := _full_quick_alone

_fast_thorough_2 := _entry("fast", 2, 0, 1, "none", "delegate", "Rank 2: it covers less of your need than rank 1. It covers part of it.")

_fast_thorough_alone := _fast_quick_alone

test_customers_with_the_same_preferences_share_a_profile if {
	p := views.profiles with data.customers as _customers with data.catalog as _catalog
	p == {"quick": "speed|delegate|0", "also_quick": "speed|delegate|0", "thorough": "completeness|detail|0"}
}

test_every_profile_purpose_and_access_is_ranked_without_input if {
	v := views.alternatives with data.customers as _customers with data.catalog as _catalog
	v == {
		"speed|delegate|0|audit|none": [_full_quick_alone],
		"speed|delegate|0|audit|read_only": [_fast_quick_alone],
		"speed|delegate|0|audit|admin": [_fast_quick_1, _full_quick_2],
		"speed|delegate|0|backup|none": [],
		"speed|delegate|0|backup|read_only": [],
		"speed|delegate|0|backup|admin": [],
		"completeness|detail|0|audit|none": [_full_thorough_alone],
		"completeness|detail|0|audit|read_only": [_fast_thorough_alone],
		"completeness|detail|0|audit|admin": [_full_thorough_1, _fast_thorough_2],
		"completeness|detail|0|backup|none": [],
		"completeness|detail|0|backup|read_only": [],
		"completeness|detail|0|backup|admin": [],
	}
}

test_a_view_is_what_rank_gives_with_no_waits if {
	v := views.alternatives with data.customers as _customers with data.catalog as _catalog
	prefs := data.gatekeeper.lib.context.preferences_of(_customers.thorough)
	v["completeness|detail|0|audit|admin"] == data.gatekeeper.alternatives.rank(prefs, "audit", "admin", 0, 0) with data.catalog as _catalog
}

_sla_customers := {"shop": {
	"tier": "silver", "monthly_fee": 1000, "currency": "EUR",
	"environments": {
		"prod": {"title": "Prod", "managed_baseline": true, "reprovision_hours": 4},
		"lab": {"title": "Lab", "managed_baseline": false, "reprovision_hours": 4},
	},
}}

_sla_catalog := {"access_levels": {
	"admin": {"title": "Admin", "breaks_managed_baseline": true},
	"viewer": {"title": "Viewer", "breaks_managed_baseline": false},
}}

test_baseline_views_hold_only_the_scopes_where_the_baseline_breaks if {
	r := views.reprovisioning with data.customers as _sla_customers with data.catalog as _sla_catalog
	s := views.sla with data.customers as _sla_customers with data.catalog as _sla_catalog
	expected_r := data.gatekeeper.rules.reprovisioning.effect("shop", "prod", "admin") with data.customers as _sla_customers with data.catalog as _sla_catalog
	expected_s := data.gatekeeper.rules.sla.effect("shop", "prod", "admin") with data.customers as _sla_customers with data.catalog as _sla_catalog
	r == {"shop|prod|admin": expected_r}
	s == {"shop|prod|admin": expected_s}
	expected_s.consequence.sla_minutes_consumed == 240
}
