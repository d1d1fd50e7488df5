package gatekeeper.alternatives_test

import rego.v1

import data.gatekeeper.alternatives

_input(overrides) := {
	"request": object.union(
		{
			"customer": "acme", "environment": "production", "access": "full_admin",
			"purpose": "software_install", "need": "n", "systems": [],
			"start": "2026-11-23T15:00:00Z", "duration_hours": 4, "justification": "j",
			"urgency": "normal", "ticket": "T-1",
		},
		overrides,
	),
	"identity": {"subject": "e@msp.example", "role": "engineer", "organisation": null},
	"now": "2026-11-23T15:00:00Z",
}

_ids(ranked) := [a.id | some a in ranked]

_acme := data.gatekeeper.lib.context.preferences_of(data.customers.acme)

test_speed_puts_the_fastest_first if {
	_ids(alternatives.ranked) == [
		"software_portal", "scoped_admin_named_servers", "supervised_session", "msp_standard_change",
	] with input as _input({})
}

test_completeness_and_detail_reverse_the_order if {
	_ids(alternatives.ranked) == [
		"supervised_session", "msp_standard_change", "scoped_admin_named_servers", "software_portal",
	] with input as _input({"customer": "globex"})
}

test_whole_entry_of_the_top_alternative if {
	alternatives.ranked[0] == {
		"id": "software_portal",
		"title": "Packaged deployment from the software portal",
		"summary": "Pick the package in the self-service software portal. It installs by itself on the servers you choose.",
		"fulfils": ["software_install"],
		"access": "none",
		"lead_time_hours": 0,
		"downtime_hours": 0,
		"completeness": 1,
		"involvement": "delegate",
		"conditions": ["the software is in the portal (you can ask us to add new software)"],
		"approval": {"required": false, "roles": [], "count": 0},
		"rank": 1,
		"why": "Best for you: it is the fastest. It can be in place at once.",
		"rule": "gatekeeper.alternatives.ranked",
	} with input as _input({})
}

test_whole_entry_of_an_alternative_that_needs_an_approver if {
	alternatives.ranked[1] == {
		"id": "scoped_admin_named_servers",
		"title": "Time-boxed admin on named servers",
		"summary": "You get admin rights on the servers you name, for a few hours. We record the session. The rest of your system stays managed.",
		"fulfils": ["software_install", "configuration_change", "troubleshooting"],
		"access": "scoped_admin",
		"lead_time_hours": 1,
		"downtime_hours": 0,
		"completeness": 2,
		"involvement": "detail",
		"conditions": ["name the servers", "the session is recorded and ends by itself"],
		"approval": {"required": true, "roles": ["approver"], "count": 1},
		"rank": 2,
		"why": "Rank 2: it is slower than rank 1. It can be in place in 1 hour.",
		"rule": "gatekeeper.alternatives.ranked",
	} with input as _input({})
}

test_approval_per_alternative_comes_from_the_catalogue if {
	approvals := {a.id: a.approval | some a in alternatives.ranked} with input as _input({"access": "data_export", "purpose": "data_export"})
	approvals == {
		"msp_masked_extract": {"required": true, "roles": ["approver"], "count": 1},
		"read_only_reporting": {"required": true, "roles": ["approver"], "count": 1},
	}
}

test_approval_roles_are_sorted_and_no_approval_has_no_roles if {
	alts := {
		"strict": {"title": "S", "summary": "s", "fulfils": ["audit"], "access": "none", "lead_time_hours": 1, "downtime_hours": 0, "completeness": 2, "involvement": "delegate", "needs_msp_staff": false, "changes_system": false, "approval": {"required": true, "roles": ["approver", "admin"], "count": 2}},
		"open": {"title": "O", "summary": "o", "fulfils": ["audit"], "access": "none", "lead_time_hours": 1, "downtime_hours": 0, "completeness": 2, "involvement": "delegate", "needs_msp_staff": false, "changes_system": false, "approval": {"required": false}},
	}
	ranked := alternatives.rank(_acme, "audit", "full_admin", 0, 0) with data.catalog.alternatives as alts
	[[a.id, a.approval] | some a in ranked] == [
		["open", {"required": false, "roles": [], "count": 0}],
		["strict", {"required": true, "roles": ["admin", "approver"], "count": 2}],
	]
}

test_an_alternative_without_an_approval_block_is_not_offered if {
	bare := {"bare": {"title": "B", "summary": "b", "fulfils": ["audit"], "access": "none", "lead_time_hours": 1, "downtime_hours": 0, "completeness": 2, "involvement": "delegate", "needs_msp_staff": false, "changes_system": false}}
	ranked := alternatives.rank(_acme, "audit", "full_admin", 0, 0) with data.catalog.alternatives as bare
	ranked == []
}

test_the_requested_access_level_is_not_offered_back if {
	ids := _ids(alternatives.ranked) with input as _input({"access": "scoped_admin"})
	not "scoped_admin_named_servers" in ids
	count(ids) == 3
}

test_only_alternatives_for_the_purpose if {
	_ids(alternatives.ranked) == ["read_only_reporting", "msp_masked_extract"] with input as _input({"access": "data_export", "purpose": "data_export"})
}

test_staffed_alternatives_wait_for_support_hours if {
	inp := _input({"customer": "bakkerij_jansen", "access": "scoped_admin", "start": "2026-11-28T10:00:00Z"})
	ranked := alternatives.ranked with input as inp
	ranked[0].id == "software_portal"
	ranked[0].lead_time_hours == 0
	some a in ranked
	a.id == "msp_standard_change"
	a.lead_time_hours == 53
	a.why == "Rank 3: it is slower than rank 2. It can be in place in 53 hours, as it waits for support hours."
}

test_equal_alternatives_tie_break_by_id_and_say_so if {
	twins := {
		"zulu": {"title": "Z", "summary": "z", "fulfils": ["audit"], "access": "none", "lead_time_hours": 1, "downtime_hours": 0, "completeness": 2, "involvement": "delegate", "needs_msp_staff": false, "changes_system": false, "approval": {"required": false}},
		"alpha": {"title": "A", "summary": "a", "fulfils": ["audit"], "access": "none", "lead_time_hours": 1, "downtime_hours": 0, "completeness": 2, "involvement": "delegate", "needs_msp_staff": false, "changes_system": false, "approval": {"required": false}},
	}
	ranked := alternatives.rank(_acme, "audit", "full_admin", 0, 0) with data.catalog.alternatives as twins
	_ids(ranked) == ["alpha", "zulu"]
	[a.rank | some a in ranked] == [1, 2]
	[a.why | some a in ranked] == [
		"Best for you: it is as good for you as the next choice. They are listed by name.",
		"Rank 2: it is as good for you as rank 1. They are listed by name.",
	]
}

test_downtime_beyond_tolerance_is_named_in_why if {
	slow := {"slow": {"title": "S", "summary": "s", "fulfils": ["audit"], "access": "none", "lead_time_hours": 30, "downtime_hours": 4, "completeness": 3, "involvement": "detail", "needs_msp_staff": false, "changes_system": false, "approval": {"required": false}}}
	ranked := alternatives.rank(_acme, "audit", "full_admin", 0, 0) with data.catalog.alternatives as slow
	ranked[0].why == "Best for you: it is the only choice that does the job. It can be in place in 30 hours."
}

_alt(lead, downtime, completeness, involvement) := {
	"title": "T", "summary": "s", "fulfils": ["audit"], "access": "none", "lead_time_hours": lead,
	"downtime_hours": downtime, "completeness": completeness, "involvement": involvement,
	"needs_msp_staff": false, "changes_system": false, "approval": {"required": false},
}

# Four alternatives that trade the criteria off against each other.
_tradeoffs := {
	"quick_partial": _alt(1, 0, 1, "delegate"),
	"slow_full": _alt(8, 0, 3, "detail"),
	"slow_full_msp": _alt(8, 0, 3, "delegate"),
	"quick_down": _alt(0, 4, 3, "delegate"),
}

_globex := data.gatekeeper.lib.context.preferences_of(data.customers.globex)

test_downtime_beyond_tolerance_ranks_last_and_says_so if {
	ranked := alternatives.rank(_acme, "audit", "full_admin", 0, 0) with data.catalog.alternatives as _tradeoffs
	_ids(ranked) == ["quick_partial", "slow_full_msp", "slow_full", "quick_down"]
	ranked[3].why == "Rank 4: it has 4 hours of downtime. That is more than the 2 hours you accept."
}

test_opposite_preferences_get_opposite_orders_where_the_alternatives_trade_off if {
	speed := alternatives.rank(_acme, "audit", "full_admin", 0, 0) with data.catalog.alternatives as _tradeoffs
	thorough := alternatives.rank(_globex, "audit", "full_admin", 0, 0) with data.catalog.alternatives as _tradeoffs
	[[a.id, a.why] | some a in speed] == [
		["quick_partial", "Best for you: it is faster than the next choice. It can be in place in 1 hour."],
		["slow_full_msp", "Rank 2: it is slower than rank 1. It can be in place in 8 hours."],
		["slow_full", "Rank 3: it is as fast as rank 2. It can be in place in 8 hours. But you do the work, and you prefer to let the MSP do it."],
		["quick_down", "Rank 4: it has 4 hours of downtime. That is more than the 2 hours you accept."],
	]
	[[a.id, a.why] | some a in thorough] == [
		["slow_full", "Best for you: it covers as much of your need as the next choice. And you stay hands-on, as you prefer."],
		["quick_down", "Rank 2: it covers as much of your need as rank 1. But the MSP does the work, and you prefer to stay hands-on."],
		["slow_full_msp", "Rank 3: it covers as much of your need as rank 2. But it takes longer. It can be in place in 8 hours."],
		["quick_partial", "Rank 4: it covers less of your need than rank 3. It covers part of it."],
	]
}

test_the_speed_customer_gets_the_faster_first_the_completeness_customer_the_fuller_first if {
	every purpose in ["software_install", "troubleshooting", "data_export", "audit", "configuration_change"] {
		speed := alternatives.rank(_acme, purpose, "full_admin", 0, 0)
		thorough := alternatives.rank(_globex, purpose, "full_admin", 0, 0)
		every i, a in speed {
			every b in array.slice(speed, i + 1, count(speed)) {
				a.lead_time_hours <= b.lead_time_hours
			}
		}
		every i, a in thorough {
			every b in array.slice(thorough, i + 1, count(thorough)) {
				a.completeness >= b.completeness
			}
		}
	}
}

test_a_request_with_nothing_waiting_reads_the_bundle_view if {
	views := {"profiles": {"acme": "p"}, "alternatives": {"p|software_install|full_admin": [{"id": "from_the_view"}]}}
	alternatives.ranked == [{"id": "from_the_view"}] with input as _input({}) with data.views as views
}

test_without_a_view_the_request_ranks_for_itself if {
	ranked := alternatives.ranked with input as _input({}) with data.views as {}
	ranked == alternatives.rank(_acme, "software_install", "full_admin", 0, 0)
	_ids(ranked) == ["software_portal", "scoped_admin_named_servers", "supervised_session", "msp_standard_change"]
}

test_a_waiting_request_does_not_read_the_view if {
	views := {"profiles": {"bakkerij_jansen": "p"}, "alternatives": {"p|software_install|scoped_admin": [{"id": "from_the_view"}]}}
	inp := _input({"customer": "bakkerij_jansen", "access": "scoped_admin", "start": "2026-11-28T10:00:00Z"})
	ranked := alternatives.ranked with input as inp with data.views as views
	ranked[0].id == "software_portal"
}

test_high_urgency_ranks_for_speed_and_says_so if {
	inp := _input({"customer": "globex", "urgency": "high"})
	[[a.id, a.why] | some a in alternatives.ranked] == [
		["software_portal", "Best for you: this is urgent, so speed comes first. It is the fastest. It can be in place at once."],
		["scoped_admin_named_servers", "Rank 2: this is urgent, so speed comes first. It is slower than rank 1. It can be in place in 1 hour."],
		["supervised_session", "Rank 3: this is urgent, so speed comes first. It is slower than rank 2. It can be in place in 2 hours."],
		["msp_standard_change", "Rank 4: this is urgent, so speed comes first. It is slower than rank 3. It can be in place in 8 hours."],
	] with input as inp
}

test_lead_time_in_words if {
	alternatives._in_time(0) == "at once"
	alternatives._in_time(1) == "in 1 hour"
	alternatives._in_time(2.5) == "in 2.5 hours"
}

test_rank_1_is_compared_with_rank_2_or_nothing if {
	alternatives._second_or_none([{"id": "a"}, {"id": "b"}, {"id": "c"}]) == {"id": "b"}
	alternatives._second_or_none([{"id": "a"}]) == {}
	alternatives._second_or_none([]) == {}
}

_two := {
	"slow": {"title": "S", "summary": "s", "fulfils": ["audit"], "access": "none", "lead_time_hours": 30, "downtime_hours": 4, "completeness": 3, "involvement": "detail", "needs_msp_staff": true, "changes_system": false, "approval": {"required": false}},
	"quick": {"title": "Q", "summary": "q", "fulfils": ["audit"], "access": "read_only", "lead_time_hours": 1, "downtime_hours": 0, "completeness": 1, "involvement": "delegate", "needs_msp_staff": false, "changes_system": true, "conditions": ["c"], "approval": {"required": true, "roles": ["b", "a"], "count": 2}},
}

test_whole_candidate_holds_all_that_does_not_depend_on_waits if {
	cands := alternatives.candidates(_acme, "audit", "full_admin") with data.catalog.alternatives as _two
	quick := [c | some c in cands; c.id == "quick"]
	quick == [{
		"id": "quick",
		"needs_msp_staff": false,
		"changes_system": true,
		"lead_time_hours": 1,
		"values": {"downtime": "0", "speed": "00000060", "involvement": "0", "completeness": "8"},
		"criteria": ["downtime", "speed", "involvement", "completeness"],
		"key": "0|{speed}|0|8|quick",
		"shown": {
			"id": "quick", "title": "Q", "summary": "q", "fulfils": ["audit"], "access": "read_only",
			"downtime_hours": 0, "completeness": 1, "involvement": "delegate", "conditions": ["c"],
			"approval": {"required": true, "roles": ["a", "b"], "count": 2},
			"rule": "gatekeeper.alternatives.ranked",
		},
		"prefs": {"tolerated_downtime_hours": 2, "priority": "speed", "involvement": "delegate"},
		"most": 3,
		"urgent_text": "",
		"lead_text": "in 1 hour",
		"pairs": {"slow": {"same": "downtime", "differ": "downtime"}},
	}]
	count(cands) == 2
}

test_a_pair_names_speed_only_when_the_lead_times_differ if {
	cands := alternatives.candidates(_acme, "audit", "full_admin") with data.catalog.alternatives as _tradeoffs
	pairs := {c.id: c.pairs | some c in cands}
	pairs.quick_partial.slow_full_msp == {"same": "completeness", "differ": "speed"}
	pairs.slow_full.slow_full_msp == {"same": "involvement", "differ": "speed"}
	pairs.quick_down.quick_partial == {"same": "downtime", "differ": "downtime"}
}

test_an_urgent_candidate_says_so if {
	urgent := object.union(_globex, {"priority": "speed", "urgent": true})
	cands := alternatives.candidates(urgent, "audit", "full_admin") with data.catalog.alternatives as _two
	{c.urgent_text | some c in cands} == {"This is urgent, so speed comes first. "}
	{c.criteria | some c in cands} == {["downtime", "speed", "involvement", "completeness"]}
}

test_rank_is_its_candidates_ranked if {
	cands := alternatives.candidates(_acme, "software_install", "full_admin")
	alternatives._rank_candidates(cands, 5, 3) == alternatives.rank(_acme, "software_install", "full_admin", 5, 3)
}

test_an_urgent_request_with_nothing_waiting_reads_the_urgent_view if {
	views := {"profiles": {"acme": "p"}, "alternatives": {}, "urgent_alternatives": {"p|software_install|full_admin": [{"id": "from_the_view"}]}}
	alternatives.ranked == [{"id": "from_the_view"}] with input as _input({"urgency": "high"}) with data.views as views
}

test_a_waiting_request_ranks_the_view_candidates if {
	inp := _input({"customer": "bakkerij_jansen", "access": "scoped_admin", "start": "2026-11-28T10:00:00Z"})
	prefs := data.gatekeeper.lib.context.preferences_of(data.customers.bakkerij_jansen)
	cands := alternatives.candidates(prefs, "software_install", "scoped_admin")
	renamed := [object.union(c, {"shown": object.union(c.shown, {"title": "from the view"})}) | some c in cands]
	views := {"profiles": {"bakkerij_jansen": "p"}, "alternative_candidates": {"p|software_install|scoped_admin|usual": renamed}}
	ranked := alternatives.ranked with input as inp with data.views as views
	{a.title | some a in ranked} == {"from the view"}
	[a.id | some a in ranked] == [a.id | some a in alternatives.ranked] with input as inp
	[a.why | some a in ranked] == [a.why | some a in alternatives.ranked] with input as inp
}

test_the_candidates_key_names_the_urgency if {
	alternatives.candidates_key("p", "audit", "none", true) == "p|audit|none|urgent"
	alternatives.candidates_key("p", "audit", "none", false) == "p|audit|none|usual"
}
