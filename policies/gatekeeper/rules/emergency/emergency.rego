# METADATA
# title: Emergencies are honest
# description: |
#   A declared emergency (urgency emergency) never skips a check silently. Who may declare one
#   is customer data (customers.<id>.emergency.who_may_declare: roles and named contacts).
#   When an honoured emergency skips a change freeze and the exception it needs, the wait for
#   support hours, the approval to reach customer data or the approval break-glass needs
#   outside an emergency, the answer names each skip, makes a review afterwards mandatory and
#   tells the MSP on-call desk and the customer's security contact at once. The decision that
#   carries this is what the ledger records, so the record shows the skip too. When someone
#   who may not declare an emergency marks one that would have skipped a check, the answer is
#   the normal one plus a plain note why, and whom to call.
package gatekeeper.rules.emergency

import rego.v1

import data.gatekeeper.lib.times
import data.gatekeeper.lib.util

# The entry point builds every rule of every rules package, and each rule costs even when it
# fails at once: the package has one helper, _answer, undefined (after one comparison) unless
# an emergency is declared and would skip a check. It holds the answers.
_answer := a if {
	input.request.urgency == "emergency"
	skips = [s | some k in ["a_freeze", "b_support", "c_data", "d_break_glass"]; s = _skip(k)]
	count(skips) > 0

	# A skip an engine dropped on an error would shorten the lists in the answer: none is lost.
	count(skips) == count(_would_skip(input.request))
	a = _of(_honoured(input.request), skips)
}

# What an emergency skips, each {id, text}; undefined where it skips nothing of that kind.
_skip(k) := s if {
	k == "a_freeze"
	data.gatekeeper.lib.context.freeze_applies
	freeze = data.gatekeeper.lib.context.blocking_freeze
	text = concat("", ["the change freeze \"", freeze.title, "\" and its exception"])
	s = {"id": concat(":", ["change_freeze", freeze.id]), "text": text}
}

_skip(k) := s if {
	k == "b_support"
	data.gatekeeper.lib.context.support_closed_for_staff
	s = {"id": "support_hours", "text": "the wait for support hours"}
}

_skip(k) := s if {
	k == "c_data"
	data.gatekeeper.lib.context.reaches_customer_data
	not "data_export" in [input.request.access, input.request.purpose]
	s = {"id": "customer_data_approval", "text": "the approval to read customer data"}
}

_skip(k) := s if {
	k == "d_break_glass"
	input.request.access == "break_glass"
	s = {"id": "break_glass_approval", "text": "the approval for break-glass"}
}

_texts(skips) := concat("; ", [t | some s in skips; some t in [s.text]])

# " It skips a. It skips b.": a sentence for each skip, for the contacts told.
_sentences(skips) := concat("", [t | some s in skips; some t in [concat("", [" It skips ", s.text, "."])]])

_ids(skips) := [i | some s in skips; some i in [s.id]]

# An honoured emergency: what it skips, the after-review, whom it tells.
_of(honoured, skips) := a if {
	honoured == true
	customer = data.gatekeeper.lib.context.customer
	policy = customer.emergency
	security = customer.contacts.security
	on_call = policy.msp_on_call
	within = util.hours_text(policy.review_within_hours)
	review_due = times.format(times.add_hours(data.gatekeeper.lib.context.end_ns, policy.review_within_hours))
	skipped = _texts(skips)
	summary = concat("", [
		"You declared an emergency. So this access skips: ", skipped, ". ",
		"We tell ", on_call.name, " and ", security.name, " (your security contact) now. ",
		"We must review all that is done within ", within, " after access ends.",
	])
	consequence = {
		"id": "emergency_skips_checks",
		"kind": "emergency",
		"severity": "high",
		"title": "emergency skips normal checks",
		"summary": summary,
		"skipped": _ids(skips),
		"review_due": review_due,
		"rule": "gatekeeper.rules.emergency.consequences",
	}
	condition_summary = concat("", [
		"We must review all that is done in this emergency within ", within,
		" after access ends. The review checks each step that was skipped.",
	])
	condition = {
		"id": "emergency_after_review",
		"summary": condition_summary,
		"review_due": review_due,
		"mandatory": true,
		"rule": "gatekeeper.rules.emergency.conditions",
	}
	who = data.gatekeeper.lib.context.requester
	reason = concat("", [
		"Emergency on ", data.gatekeeper.lib.context.environment_title, ". By: ", who, ". ",
		_ticket_text(object.get(input.request, "ticket", null)), ".", _sentences(skips), " We will review it.",
	])
	tells = [
		{
			"id": "msp_on_call",
			"contact": {"role": "msp_on_call", "name": on_call.name, "email": on_call.email},
			"reason": reason,
			"rule": "gatekeeper.rules.emergency.escalations",
		},
		{
			"id": "security_contact",
			"contact": {"role": "security", "name": security.name, "email": security.email},
			"reason": reason,
			"rule": "gatekeeper.rules.emergency.escalations",
		},
	]
	message = concat("", [
		"Emergency declared by ", who, " is honoured and skips ", concat(", ", _ids(skips)),
		"; after-review due ", review_due, ".",
	])
	a = {
		"consequence": consequence, "condition": condition, "escalations": tells,
		"outcome": "allow_with_consequences", "code": "GK-EMG-001", "message": message,
	}
}

# An emergency declared by someone who may not: the normal answer plus a note why.
_of(honoured, skips) := a if {
	honoured == false
	customer = data.gatekeeper.lib.context.customer
	policy = customer.emergency
	on_call = policy.msp_on_call
	declarers = _declarers(policy.who_may_declare)
	summary = concat("", [
		"You marked this as an emergency. But for ", customer.name, ", only these can declare one: ", declarers,
		". So the normal rules apply. If it cannot wait, call ", on_call.name,
		" (", on_call.email, ").",
	])
	consequence = {
		"id": "emergency_not_accepted",
		"kind": "contact",
		"severity": "medium",
		"title": "your emergency is not accepted",
		"summary": summary,
		"would_skip": _ids(skips),
		"contact": {"role": "msp_on_call", "name": on_call.name, "email": on_call.email},
		"rule": "gatekeeper.rules.emergency.consequences",
	}
	who = data.gatekeeper.lib.context.requester
	message = concat("", [
		"Emergency declared by ", who, " is not honoured: only ", declarers, " may declare one for ",
		input.request.customer, ". It would have skipped ", concat(", ", _ids(skips)), ".",
	])
	a = {"consequence": consequence, "code": "GK-EMG-005", "message": message}
}

# Break-glass tells the security contact and asks for its own review (rules.break_glass):
# for it this rule adds the MSP on-call desk and names what is skipped, nothing twice.
_tells(id) if id == "msp_on_call"

_tells(id) if {
	id == "security_contact"
	input.request.access != "break_glass"
}

# honoured is a function value, false when the emergency is not honoured: a function costs
# only when called, a rule for every request (the entry point builds every rule).
_honoured(_) := true if data.gatekeeper.lib.context.emergency

else := false

_role_name(r) := object.get(
	{
		"engineer": "MSP engineers",
		"admin": "MSP administrators",
		"approver": "MSP approvers",
		"customer": "customer staff",
	},
	r, r,
)

# `some n in [...]` binds n: regopy finds a cycle in `n = f(...)` inside a function.
_declarers(who) := text if {
	roles = [n | some r in who.roles; some n in [_role_name(r)]]
	names = array.concat(roles, who.contacts)
	text = _listed(names)
}

# "a", "a or b", "a, b or c"
_listed(names) := names[0] if count(names) == 1

else := concat(" or ", [concat(", ", array.slice(names, 0, count(names) - 1)), names[count(names) - 1]])

_ticket_text(ticket) := concat(" ", ["Ticket:", ticket]) if is_string(ticket)

else := "No ticket was given"

# METADATA
# title: What an emergency skips, or why it is not accepted
# custom:
#   code: GK-EMG-001
consequences contains c if {
	c = _answer.consequence
}

# METADATA
# title: A review after an emergency is mandatory
# custom:
#   code: GK-EMG-002
conditions contains c if {
	c = _answer.condition
	input.request.access != "break_glass"
}

# METADATA
# title: The MSP on-call desk and the security contact are told of an emergency
# custom:
#   code: GK-EMG-003
escalations contains e if {
	some e in _answer.escalations
	_tells(e.id)
}

# METADATA
# title: An honoured emergency is granted with its consequences
# custom:
#   code: GK-EMG-004
outcomes contains o if {
	outcome = _answer.outcome
	o = {"outcome": outcome, "rule": "gatekeeper.rules.emergency.outcomes"}
}

# METADATA
# title: Why the emergency rule applies
# custom:
#   code: GK-EMG-001
reasons contains r if {
	a = _answer
	r = {"rule": "gatekeeper.rules.emergency.consequences", "code": a.code, "message": a.message}
}

# METADATA
# title: What a declared emergency will produce, from guards that cannot fail
# description: |
#   The keys of the elements above, for the entry point to check that none went missing
#   (docs/policy-contract.md, "Announced elements"). Written apart from _answer on purpose.
#   One body that fails at its first comparison unless an emergency is declared.
# custom:
#   code: GK-EMG-006
announced contains k if {
	input.request.urgency == "emergency"
	count(_would_skip(input.request)) > 0
	some k in _announced_keys(input.request.access)
}

_announced_keys(access) := [
	"consequences:emergency_skips_checks", "escalations:msp_on_call",
	"outcomes:allow_with_consequences", "reasons:GK-EMG-001",
	"conditions:emergency_after_review", "escalations:security_contact",
] if {
	data.gatekeeper.lib.context.emergency
	access != "break_glass"
} else := [
	"consequences:emergency_skips_checks", "escalations:msp_on_call",
	"outcomes:allow_with_consequences", "reasons:GK-EMG-001",
] if {
	data.gatekeeper.lib.context.emergency
} else := ["consequences:emergency_not_accepted", "reasons:GK-EMG-005"]

# The kinds of check the emergency would skip, each written apart from _skip. A function,
# called only when an emergency is declared: a rule would be built for every request.
_would_skip(_) := {k | some k in ["a_freeze", "b_support", "c_data", "d_break_glass"]; _would(k)}

_would(k) if {
	k == "a_freeze"
	data.gatekeeper.lib.context.freeze_applies
	data.gatekeeper.lib.context.blocking_freeze
}

_would(k) if {
	k == "b_support"
	data.gatekeeper.lib.context.support_closed_for_staff
}

_would(k) if {
	k == "c_data"
	data.gatekeeper.lib.context.reaches_customer_data
	not "data_export" in [input.request.access, input.request.purpose]
}

_would(k) if {
	k == "d_break_glass"
	input.request.access == "break_glass"
}
