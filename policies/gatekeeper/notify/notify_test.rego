package gatekeeper.notify_test

import rego.v1

import data.gatekeeper.notify

_input(event, request, decision) := {
	"event": object.union({"id": "evt_1", "type": "decided", "action": "decide", "from": "submitted", "to": "awaiting_approval", "at": "2026-11-23T15:00:00Z", "actor": "gatekeeper", "reason": null}, event),
	"request": object.union({
		"id": "3f1c2a9e-0000-4000-8000-000000000000", "customer": "globex", "environment": "production",
		"requester": "carol@globex.example", "access": "data_export", "purpose": "data_export",
		"need": "move the orders to the new CRM", "urgency": "normal", "ticket": null,
		"state": "awaiting_approval", "version": 1, "grant_ends_at": null,
	}, request),
	"decision": object.union({"outcome": "needs_approval", "escalations": [], "consequences": []}, decision),
}

_escalation := {
	"id": "security_contact",
	"contact": {"role": "security", "name": "Dana Whitfield", "email": "secops@globex.example"},
	"reason": "Someone asked to take data out of Production ERP.",
	"rule": "gatekeeper.rules.data_protection.escalations",
}

_sent(inp) := {[m.topic, m.contact, m.channel] | some m in notify.messages with input as inp}

test_an_escalation_reaches_the_contact_by_every_channel_and_approvers_are_asked if {
	_sent(_input({}, {}, {"escalations": [_escalation]})) == {
		["escalation", "security", "email"], ["escalation", "security", "webhook"],
		["approval_needed", "approvers", "email"], ["approval_needed", "approvers", "teams"],
	}
}

test_escalations_are_security_notices_due_within_the_customers_minutes if {
	some m in notify.messages with input as _input({}, {}, {"escalations": [_escalation]})
	m.topic == "escalation"
	m.security == true
	m.within_minutes == 30
	m.path == "/requests/3f1c2a9e-0000-4000-8000-000000000000"
	m.secret == "globex"
}

test_what_the_customer_counts_as_security_is_heard_without_an_escalation if {
	_sent(_input({}, {"access": "full_admin", "purpose": "software_install"}, {})) == {
		["security", "security", "email"], ["security", "security", "webhook"],
		["approval_needed", "approvers", "email"], ["approval_needed", "approvers", "teams"],
	}
}

test_a_read_only_request_is_no_security_issue if {
	not notify.security_issue with input as _input({}, {"access": "read_only", "purpose": "troubleshooting"}, {})
}

test_approvers_get_a_console_link if {
	some m in notify.messages with input as _input({}, {"access": "read_only"}, {})
	m.topic == "approval_needed"
	m.path == "/console/requests/3f1c2a9e-0000-4000-8000-000000000000"
	m.subject == "A request on Production ERP waits for you"
}

test_a_grant_tells_the_requester_when_it_ends_in_their_time_zone if {
	inp := _input({"type": "transitioned", "from": "awaiting_approval", "to": "granted"}, {"state": "granted", "access": "read_only", "grant_ends_at": "2026-11-23T23:00:00Z"}, {})
	some m in notify.messages with input as inp
	m.topic == "outcome"
	m.to == "carol@globex.example"
	m.text == "Your access to Production ERP is ready. It ends at Mon 23 Nov 2026, 18:00 (New York time). Request 3f1c2a9e."
}

test_a_rejection_says_why if {
	inp := _input({"type": "transitioned", "from": "awaiting_approval", "to": "rejected", "reason": "no data agreement"}, {"state": "rejected"}, {})
	some m in notify.messages with input as inp
	m.subject == "Your request was not approved"
	contains(m.text, "The reason: no data agreement.")
}

test_a_requester_without_an_address_is_not_written_to if {
	inp := _input({"type": "transitioned", "from": "awaiting_approval", "to": "rejected"}, {"state": "rejected", "requester": "token:ci-bot"}, {})
	count(notify.messages) == 0 with input as inp
}

test_a_partial_approval_does_not_ask_the_approvers_again if {
	inp := _input({"type": "transitioned", "action": "approve", "from": "awaiting_approval", "to": "awaiting_approval"}, {}, {})
	count(notify.messages) == 0 with input as inp
}

test_overdue_reaches_the_next_contact_at_each_level if {
	one := _input({"type": "overdue", "level": 1, "version": 1, "since": "2026-11-23T15:00:00Z"}, {}, {})
	two := _input({"type": "overdue", "level": 2, "version": 1, "since": "2026-11-23T15:00:00Z"}, {}, {})
	{m.contact | some m in notify.messages with input as one} == {"service_manager"}
	{m.contact | some m in notify.messages with input as two} == {"msp_on_call"}
	count(notify.messages) == 0 with input as _input({"type": "overdue", "level": 3, "version": 1, "since": "2026-11-23T15:00:00Z"}, {}, {})
}

test_overdue_is_dropped_once_the_request_moved_on if {
	count(notify.messages) == 0 with input as _input({"type": "overdue", "level": 1, "version": 1, "since": "2026-11-23T15:00:00Z"}, {"version": 2}, {})
}

test_a_grant_ending_reminds_the_requester_while_it_lasts if {
	live := _input({"type": "grant_ending"}, {"state": "granted", "grant_ends_at": "2026-11-23T23:00:00Z"}, {})
	{m.subject | some m in notify.messages with input as live} == {"Your access ends soon"}
	count(notify.messages) == 0 with input as _input({"type": "grant_ending"}, {"state": "revoked", "grant_ends_at": "2026-11-23T23:00:00Z"}, {})
}

test_a_muted_customer_hears_only_of_security if {
	inp := _input({}, {"customer": "bakkerij_jansen", "access": "read_only", "purpose": "troubleshooting"}, {})
	count(notify.messages) == 0 with input as inp
}

test_timers_come_from_the_customer_data if {
	notify.timers.globex == {"grant_reminder_minutes": 120, "levels": 2}
}

test_the_example_data_routes_only_to_known_contacts if {
	count(notify.problems) == 0
}

test_an_unknown_contact_is_a_problem_naming_customer_and_contact if {
	customers := object.union(data.customers, {"globex": object.union(data.customers.globex, {"notify": {"routes": {"overdue": ["cto"]}}})})
	notify.problems == {"customer globex: notify.routes.overdue names the unknown contact cto (known: approvers, msp_on_call, requester, security, service_manager)"} with data.customers as customers
}

test_an_extension_tells_the_requester_when_the_grant_ends if {
	inp := _input({"type": "transitioned", "action": "extend", "from": "granted", "to": "granted"}, {"state": "granted", "access": "read_only", "grant_ends_at": "2026-11-24T01:00:00Z"}, {})
	some m in notify.messages with input as inp
	m.topic == "outcome"
	m.subject == "We have an answer on your request for more time"
	contains(m.text, "Your access ends at Mon 23 Nov 2026, 20:00 (New York time).")
}

test_when_a_grant_ends_the_requester_is_asked_if_it_helped if {
	inp := _input(
		{"type": "transitioned", "action": "expire", "from": "granted", "to": "expired"},
		{"state": "expired", "version": 3, "grant_ends_at": "2026-11-23T15:00:00Z"}, {},
	)
	notify.messages == {{
		"topic": "outcome", "contact": "requester", "name": "carol@globex.example",
		"channel": "email", "to": "carol@globex.example", "secret": null, "security": false,
		"within_minutes": null, "subject": "Your access has ended",
		"text": "Your time on Production ERP is up. Your access ended at Mon 23 Nov 2026, 10:00 (New York time). Did it let you do what you needed? Tell us with one click on the request page. Request 3f1c2a9e.",
		"path": "/requests/3f1c2a9e-0000-4000-8000-000000000000", "rule": "gatekeeper.notify.messages",
	}} with input as inp
}
