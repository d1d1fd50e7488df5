package gatekeeper_test

import rego.v1

import data.gatekeeper

_input(overrides, identity) := {
	"request": object.union(
		{
			"customer": "acme", "environment": "production", "access": "full_admin",
			"purpose": "software_install", "need": "n", "systems": [],
			"start": "2026-11-23T09:00:00Z", "duration_hours": 8, "justification": "j",
			"urgency": "normal", "ticket": "T-1",
		},
		overrides,
	),
	"identity": identity,
	"now": "2026-11-23T09:00:00Z",
}

_customer := {"subject": "alice@acme.example", "role": "customer", "organisation": "acme"}

_engineer := {"subject": "oncall@msp.example", "role": "engineer", "organisation": null}

test_full_admin_is_not_denied_but_needs_approval_on_gold if {
	d := gatekeeper.decision with input as _input({}, _customer)
	d.outcome == "needs_approval"
	d.approval == {"required": true, "roles": ["approver"], "count": 1}
	[c.id | some c in d.consequences] == ["reprovisioning_downtime", "customer_data_reach", "sla_budget"]
	count(d.alternatives) >= 2
	every a in d.alternatives {
		a.downtime_hours == 0
	}
}

test_read_only_is_allowed_time_boxed_without_alternatives if {
	d := gatekeeper.decision with input as _input({"access": "read_only", "purpose": "troubleshooting", "duration_hours": 4}, _customer)
	d.outcome == "allow"
	d.alternatives == []
	d.consequences == []
	[c.id | some c in d.conditions] == ["time_box"]
	d.summary == "You asked to: n. You get Read-only access on Production web shop until Mon 23 Nov 2026, 14:00 (Amsterdam time)."
}

test_most_restrictive_outcome_wins if {
	# bronze lets the requester accept re-provisioning, but the peak-season freeze needs approval
	d := gatekeeper.decision with input as _input({"access": "full_admin", "start": "2026-11-27T09:00:00Z"}, _customer)
		with data.customers.acme.tier as "bronze" with data.views as {}
	d.outcome == "needs_approval"
	e := gatekeeper.decision with input as _input({"access": "break_glass", "purpose": "troubleshooting", "urgency": "emergency"}, _customer)
	e.outcome == "deny"
}

_extra := {
	"outcomes": [{"outcome": "deny", "rule": "gatekeeper.rules.extra.outcomes"}],
	"reasons": [{"rule": "gatekeeper.rules.extra.outcomes", "code": "GK-X-001", "message": "extra"}],
	"announced": {"outcomes:deny", "reasons:GK-X-001"},
}

test_a_new_rule_package_is_gathered_without_changes if {
	extra := _extra
	d := gatekeeper.decision with input as _input({"access": "read_only", "purpose": "troubleshooting"}, _customer)
		with data.gatekeeper.rules.extra as extra
	d.outcome == "deny"
	some r in d.reasons
	r.code == "GK-X-001"
	d.conditions == []
	count(d.alternatives) > 0
}

test_consequences_are_sorted_most_severe_first if {
	d := gatekeeper.decision with input as _input({}, _customer)
	[c.severity | some c in d.consequences] == ["critical", "high", "high"]
}

test_reasons_name_every_rule_that_fired if {
	d := gatekeeper.decision with input as _input({}, _customer)
	[r.code | some r in d.reasons] == ["GK-ALT-003", "GK-SEC-001", "GK-RPV-001", "GK-SLA-001", "GK-TB-001"]
}

test_every_element_names_its_rule if {
	inputs := [
		_input({}, _customer),
		_input({"access": "data_export", "purpose": "data_export"}, _customer),
		_input({"access": "break_glass", "purpose": "troubleshooting", "urgency": "emergency"}, _engineer),
	]
	every inp in inputs {
		_rules_named(gatekeeper.decision) with input as inp
	}
}

_rules_named(d) if {
	every key in ["consequences", "alternatives", "conditions", "escalations"] {
		every item in d[key] {
			startswith(item.rule, "gatekeeper.")
		}
	}
}

test_non_allow_outcomes_offer_a_way_forward if {
	requests := [
		{},
		{"access": "data_export", "purpose": "data_export"},
		{"access": "break_glass", "purpose": "troubleshooting", "urgency": "emergency"},
		{"access": "scoped_admin", "purpose": "configuration_change", "start": "2026-11-27T09:00:00Z"},
	]
	every req in requests {
		_way_forward(gatekeeper.decision) with input as _input(req, _customer)
	}
}

_way_forward(d) if {
	d.outcome != "allow"
	count(d.alternatives) > 0
}

_way_forward(d) if {
	d.outcome != "allow"
	count(d.escalations) > 0
}

test_break_glass_emergency_is_allowed_with_review_and_escalation if {
	d := gatekeeper.decision with input as _input({"access": "break_glass", "purpose": "troubleshooting", "urgency": "emergency", "start": "2026-11-28T02:30:00Z", "duration_hours": 2}, _engineer)
	d.outcome == "allow_with_consequences"
	some c in d.conditions
	c.id == "after_review"
	c.mandatory
	[e.id | some e in d.escalations] == ["msp_on_call", "security_contact", "service_manager_contact"]
}

test_the_summary_restates_the_need_in_the_requesters_words if {
	d := gatekeeper.decision with input as _input({"access": "read_only", "purpose": "troubleshooting", "duration_hours": 4, "need": "find out why checkout is slow."}, _customer)
	d.summary == "You asked to: find out why checkout is slow. You get Read-only access on Production web shop until Mon 23 Nov 2026, 14:00 (Amsterdam time)."
	e := gatekeeper.decision with input as _input({"access": "read_only", "purpose": "troubleshooting", "duration_hours": 4, "need": " "}, _customer)
	e.summary == "You asked to: troubleshoot a problem. You get Read-only access on Production web shop until Mon 23 Nov 2026, 14:00 (Amsterdam time)."
}

test_access_that_cannot_do_the_job_is_not_a_plain_allow if {
	d := gatekeeper.decision with input as _input({"access": "read_only", "purpose": "software_install", "duration_hours": 4, "need": "install the ERP client"}, _customer)
	d.outcome == "allow_with_consequences"
	[c.id | some c in d.consequences] == ["access_does_not_fit"]
	[a.id | some a in d.alternatives] == ["software_portal", "scoped_admin_named_servers", "supervised_session", "msp_standard_change"]
	d.summary == "You asked to: install the ERP client. You can have Read-only access on Production web shop if you accept this. This access will not let you install software. We offer 4 other ways to do it, best for you first."
}

test_an_honoured_emergency_in_a_freeze_names_the_skip_and_escalates if {
	d := gatekeeper.decision with input as _input({"access": "scoped_admin", "purpose": "configuration_change", "urgency": "emergency", "start": "2026-12-22T10:00:00Z", "duration_hours": 2}, {"subject": "pieter.bakker@acme.example", "role": "customer", "organisation": "acme"})
	d.outcome == "allow_with_consequences"
	d.approval.required == false
	[c.id | some c in d.consequences] == ["emergency_skips_checks"]
	[c.id | some c in d.conditions] == ["emergency_after_review", "time_box"]
	[e.id | some e in d.escalations] == ["msp_on_call", "security_contact"]
}

test_an_emergency_declared_by_someone_who_may_not_gets_the_normal_answer_and_a_note if {
	d := gatekeeper.decision with input as _input({"access": "scoped_admin", "purpose": "configuration_change", "urgency": "emergency", "start": "2026-12-22T10:00:00Z", "duration_hours": 2}, _customer)
	d.outcome == "needs_approval"
	[c.id | some c in d.consequences] == ["change_freeze", "emergency_not_accepted"]
	d.escalations == []
}

_follow_up(overrides) := {
	"request": object.union(
		{
			"customer": "acme", "environment": "production", "access": "none",
			"alternative": "software_portal", "purpose": "software_install", "need": "n",
			"systems": [], "start": "2026-11-23T09:00:00Z", "duration_hours": 8,
			"justification": "j", "urgency": "normal", "ticket": "T-1",
		},
		overrides,
	),
	"identity": {"subject": "a@acme.example", "role": "customer", "organisation": "acme"},
	"now": "2026-11-23T09:00:00Z",
}

test_test_the_software_portal_is_decided_as_its_own_request if {
	d := gatekeeper.decision with input as _follow_up({})
	d == {
		"outcome": "allow",
		"summary": "You asked to: n. You chose Packaged deployment from the software portal on Production web shop. It can start at once, with no downtime. Next step: Open the self-service software portal, pick the package and choose your servers.",
		"consequences": [],
		"alternatives": [],
		"conditions": [
			{
				"id": "alternative_condition_1",
				"summary": "the software is in the portal (you can ask us to add new software)",
				"alternative": "software_portal",
				"rule": "gatekeeper.rules.follow_up.conditions",
			},
			{
				"id": "alternative_terms",
				"summary": "It can start at once, with no downtime.",
				"alternative": "software_portal",
				"lead_time_hours": 0,
				"downtime_hours": 0,
				"rule": "gatekeeper.rules.follow_up.conditions",
			},
			{
				"id": "time_box",
				"summary": "Your access starts Mon 23 Nov 2026, 10:00 (Amsterdam time). It ends by itself after 8 hours, at Mon 23 Nov 2026, 18:00 (Amsterdam time).",
				"starts_at": "2026-11-23T09:00:00Z",
				"ends_at": "2026-11-23T17:00:00Z",
				"duration_hours": 8,
				"rule": "gatekeeper.rules.time_box.conditions",
			},
		],
		"approval": {"required": false, "roles": [], "count": 0},
		"escalations": [],
		"next_steps": [{
			"id": "next_step",
			"summary": "Open the self-service software portal, pick the package and choose your servers.",
			"alternative": "software_portal",
			"rule": "gatekeeper.rules.follow_up.next_steps",
		}],
		"reasons": [
			{
				"rule": "gatekeeper.rules.follow_up.conditions",
				"code": "GK-FUP-001",
				"message": "The requester chose the alternative software_portal (access none); it is decided as a request of its own.",
			},
			{
				"rule": "gatekeeper.rules.time_box.conditions",
				"code": "GK-TB-001",
				"message": "Time box of 8 h ending 2026-11-23T17:00:00Z (at most 8 h for none).",
			},
		],
	}
}

test_a_follow_up_that_needs_approval_says_so_and_its_next_step if {
	d := gatekeeper.decision with input as _follow_up({"access": "scoped_admin", "alternative": "scoped_admin_named_servers"})
	d.outcome == "needs_approval"
	d.approval == {"required": true, "roles": ["approver"], "count": 1}
	d.summary == "You asked to: n. Time-boxed admin on named servers on Production web shop needs an approver to agree. We offer 3 other ways to do it, best for you first. Next step: Tell us which servers you need. You get a sign-in link once an approver agrees."
	d.consequences == []
}

test_a_follow_up_with_downtime_asks_the_requester_to_accept if {
	d := gatekeeper.decision with input as _follow_up({"alternative": "supervised_session"})
		with data.catalog.alternatives.supervised_session.downtime_hours as 3
		with data.views as {}
	d.outcome == "allow_with_consequences"
	startswith(d.summary, "You asked to: n. You can have Supervised session with an MSP engineer on Production web shop if you accept this. ")
	contains(d.summary, "3 h")
	endswith(d.summary, ". Next step: Book a slot for the shared screen session with an MSP engineer.")
}

test_an_element_missing_from_what_a_package_announced_leaves_no_decision if {
	# what regorus-rvm does on a runtime error: the element is dropped, not the answer
	dropped := object.remove(_extra, ["outcomes"])
	not gatekeeper.decision with input as _input({"access": "read_only", "purpose": "troubleshooting"}, _customer)
		with data.gatekeeper.rules.extra as dropped
	u := gatekeeper.unannounced with input as _input({"access": "read_only", "purpose": "troubleshooting"}, _customer)
		with data.gatekeeper.rules.extra as dropped
	u == {{"package": "extra", "missing": ["outcomes:deny"], "unexpected": [], "announces": true}}
}

test_an_element_not_announced_leaves_no_decision if {
	quiet := object.union(_extra, {"announced": {"reasons:GK-X-001"}})
	not gatekeeper.decision with input as _input({"access": "read_only", "purpose": "troubleshooting"}, _customer)
		with data.gatekeeper.rules.extra as quiet
	u := gatekeeper.unannounced with input as _input({"access": "read_only", "purpose": "troubleshooting"}, _customer)
		with data.gatekeeper.rules.extra as quiet
	u == {{"package": "extra", "missing": [], "unexpected": ["outcomes:deny"], "announces": true}}
}

test_every_package_produces_what_it_announced_for_full_admin if {
	u := gatekeeper.unannounced with input as _input({}, _customer)
	u == set()
}

test_a_package_without_an_announced_rule_leaves_no_decision if {
	silent := object.remove(_extra, ["announced"])
	not gatekeeper.decision with input as _input({"access": "read_only", "purpose": "troubleshooting"}, _customer)
		with data.gatekeeper.rules.extra as silent
	u := gatekeeper.unannounced with input as _input({"access": "read_only", "purpose": "troubleshooting"}, _customer)
		with data.gatekeeper.rules.extra as silent
	u == {{"package": "extra", "missing": [], "unexpected": ["outcomes:deny", "reasons:GK-X-001"], "announces": false}}
}

test_a_package_that_dropped_every_element_it_announced_leaves_no_decision if {
	# nothing produced: the package is not among the busy ones, and it announced something
	empty := {"outcomes": set(), "reasons": set(), "announced": _extra.announced}
	not gatekeeper.decision with input as _input({"access": "read_only", "purpose": "troubleshooting"}, _customer)
		with data.gatekeeper.rules.extra as empty
	u := gatekeeper.unannounced with input as _input({"access": "read_only", "purpose": "troubleshooting"}, _customer)
		with data.gatekeeper.rules.extra as empty
	u == {{"package": "extra", "missing": ["outcomes:deny", "reasons:GK-X-001"], "unexpected": [], "announces": true}}
}

test_a_package_that_announced_and_produced_nothing_keeps_the_decision if {
	quiet := {"outcomes": set(), "reasons": set(), "announced": set()}
	d := gatekeeper.decision with input as _input({"access": "read_only", "purpose": "troubleshooting"}, _customer)
		with data.gatekeeper.rules.extra as quiet
	e := gatekeeper.decision with input as _input({"access": "read_only", "purpose": "troubleshooting"}, _customer)
	d == e
}

test_a_package_with_elements_but_nothing_announced_leaves_no_decision if {
	# busy, and its empty announcement is not what it produced
	loud := object.union(_extra, {"announced": set()})
	not gatekeeper.decision with input as _input({"access": "read_only", "purpose": "troubleshooting"}, _customer)
		with data.gatekeeper.rules.extra as loud
}
