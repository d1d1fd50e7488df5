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

_entry(id, rank, score, lead, completeness, access, involvement, why) := {
	"id": id, "title": "T", "summary": "s", "fulfils": ["audit"], "access": access,
	"lead_time_hours": lead, "downtime_hours": 0, "completeness": completeness,
	"involvement": involvement, "conditions": [],
	"approval": {"required": false, "roles": [], "count": 0},
	"score": score, "rank": rank, "why": why, "rule": "gatekeeper.alternatives.ranked",
}

_fast_quick(rank) := _entry("fast", rank, 125, 0, 1, "none", "delegate", sprintf("Rank %d for you: you prefer speed and it can be in place at once, with no downtime; the MSP does the work, as you prefer to delegate.", [rank]))

_full_quick(rank) := _entry("full", rank, 102, 8, 3, "read_only", "detail", sprintf("Rank %d for you: you prefer speed and it can be in place in 8 hours, with no downtime; it needs your hands-on involvement, though you prefer to delegate.", [rank]))

_full_thorough(rank) := _entry("full", rank, 133, 8, 3, "read_only", "detail", sprintf("Rank %d for you: you prefer completeness and it covers all of the need, with no downtime; you stay hands-on, as you prefer to be involved in detail.", [rank]))

_fast_thorough(rank) := _entry("fast", rank, 78, 0, 1, "none", "delegate", sprintf("Rank %d for you: you prefer completeness and it covers part of the need, with no downtime; the MSP does the work, so you see less detail than you prefer.", [rank]))

test_customers_with_the_same_preferences_share_a_profile if {
	p := views.profiles with data.customers as _customers with data.catalog as _catalog
	p == {"quick": "speed|delegate|0", "also_quick": "speed|delegate|0", "thorough": "completeness|detail|0"}
}

test_every_profile_purpose_and_access_is_ranked_without_input if {
	v := views.alternatives with data.customers as _customers with data.catalog as _catalog
	v == {
		"speed|delegate|0|audit|none": [_full_quick(1)],
		"speed|delegate|0|audit|read_only": [_fast_quick(1)],
		"speed|delegate|0|audit|admin": [_fast_quick(1), _full_quick(2)],
		"speed|delegate|0|backup|none": [],
		"speed|delegate|0|backup|read_only": [],
		"speed|delegate|0|backup|admin": [],
		"completeness|detail|0|audit|none": [_full_thorough(1)],
		"completeness|detail|0|audit|read_only": [_fast_thorough(1)],
		"completeness|detail|0|audit|admin": [_full_thorough(1), _fast_thorough(2)],
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
