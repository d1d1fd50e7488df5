# METADATA
# title: Break-glass access
# description: |
#   Break-glass is immediate administrator access for MSP on-call staff in an emergency. It is
#   granted at once, on condition of a review afterwards, and the customer's security contact
#   and service manager are told. Outside an emergency it needs approval; for anyone but MSP
#   staff it is not available, and the answer says whom to call instead.
package gatekeeper.rules.break_glass

import rego.v1

import data.gatekeeper.lib.times

# The entry point builds every rule of every rules package, and each rule of a package costs
# ~1.4 µs on regorus-rvm when the entry point builds the package, a helper rule included. So
# there is no helper rule: each set first compares the access (one comparison, false for most
# requests), then calls the functions below, which cost only when called.

# emergency | non_emergency | forbidden, for a break-glass request.
_use(_) := "emergency" if {
	data.gatekeeper.lib.context.msp_staff
	data.gatekeeper.lib.context.emergency
} else := "non_emergency" if {
	data.gatekeeper.lib.context.msp_staff
} else := "forbidden"

_by_use(use) := how if {
	table = {
		"emergency": {
			"outcome": "allow_with_consequences", "code": "GK-BG-001",
			"text": "emergency use by MSP staff: granted, reviewed afterwards",
		},
		"non_emergency": {"outcome": "needs_approval", "code": "GK-BG-002", "text": "no emergency: needs approval"},
		"forbidden": {"outcome": "deny", "code": "GK-BG-003", "text": "requester is not MSP staff: not available"},
	}
	how = table[use]
}

_review_due(end_ns) := times.format(times.add_hours(end_ns, 24))

_review_due_text(end_ns) := times.local(times.add_hours(end_ns, 24), data.gatekeeper.lib.context.customer.timezone)

# The consequence for each use.
_consequence(use) := c if {
	use == "emergency"
	summary = concat("", [
		"We record every step taken. After the incident, ", data.gatekeeper.lib.context.customer.contacts.service_manager.name,
		" reviews them and checks if we must make the system safe again. The review is due by ",
		_review_due_text(data.gatekeeper.lib.context.end_ns), ".",
	])
	c = {
		"id": "break_glass_review",
		"kind": "review",
		"severity": "high",
		"title": "a review after the incident",
		"summary": summary,
		"review_due": _review_due(data.gatekeeper.lib.context.end_ns),
		"rule": "gatekeeper.rules.break_glass.consequences",
	}
}

_consequence(use) := {
	"id": "break_glass_not_emergency",
	"kind": "security",
	"severity": "high",
	"title": "break-glass without an emergency",
	"summary": "Break-glass access is for emergencies. This is not one, so an approver must agree. A smaller or supervised way to do it is usually enough.",
	"rule": "gatekeeper.rules.break_glass.consequences",
} if {
	use == "non_emergency"
}

_consequence(use) := c if {
	use == "forbidden"
	sm = data.gatekeeper.lib.context.customer.contacts.service_manager
	summary = sprintf(
		"Only our on-call engineers can use break-glass access. In an emergency, raise an incident and they act at once. Or contact %s (%s).",
		[sm.name, sm.email],
	)
	c = {
		"id": "break_glass_contact",
		"kind": "contact",
		"severity": "high",
		"title": "break-glass is for MSP on-call staff",
		"summary": summary,
		"contact": {"role": "service_manager", "name": sm.name, "email": sm.email},
		"rule": "gatekeeper.rules.break_glass.consequences",
	}
}

_ticket_text(ticket) := sprintf("Ticket: %s", [ticket]) if is_string(ticket)

else := "No ticket was given"

# METADATA
# title: Break-glass use is reviewed afterwards, needs approval outside an emergency, or is not available
# description: |
#   break_glass_review (GK-BG-001) in an emergency, break_glass_not_emergency (GK-BG-002)
#   outside one, break_glass_contact (GK-BG-003) for anyone but MSP staff.
# custom:
#   code: GK-BG-001
consequences contains c if {
	input.request.access == "break_glass"
	c = _consequence(_use(input.request))
}

# METADATA
# title: Mandatory review after break-glass use
# custom:
#   code: GK-BG-004
conditions contains c if {
	input.request.access == "break_glass"
	_use(input.request) == "emergency"
	summary = concat("", ["We must review every step taken. The review is due by ", _review_due_text(data.gatekeeper.lib.context.end_ns), "."])
	c = {
		"id": "after_review",
		"summary": summary,
		"review_due": _review_due(data.gatekeeper.lib.context.end_ns),
		"mandatory": true,
		"rule": "gatekeeper.rules.break_glass.conditions",
	}
}

# METADATA
# title: Security contact and service manager are told of break-glass use
# custom:
#   code: GK-BG-005
escalations contains e if {
	input.request.access == "break_glass"
	_use(input.request) == "emergency"
	ticket_text = _ticket_text(object.get(input.request, "ticket", null))
	who = data.gatekeeper.lib.context.requester
	reason = concat("", [
		"Break-glass was used on ", data.gatekeeper.lib.context.environment_title, ". By: ", who, ". ", ticket_text, ". We will review it.",
	])
	some role in ["security", "service_manager"]
	c = data.gatekeeper.lib.context.customer.contacts[role]
	id = concat("", [role, "_contact"])
	e = {
		"id": id,
		"contact": {"role": role, "name": c.name, "email": c.email},
		"reason": reason,
		"rule": "gatekeeper.rules.break_glass.escalations",
	}
}

# METADATA
# title: Outcome of a break-glass request
# custom:
#   code: GK-BG-006
outcomes contains o if {
	input.request.access == "break_glass"
	how = _by_use(_use(input.request))
	o = {"outcome": how.outcome, "rule": "gatekeeper.rules.break_glass.outcomes"}
}

# METADATA
# title: An approver signs off break-glass outside an emergency
# custom:
#   code: GK-BG-007
approvals contains {"roles": ["approver"], "count": 1, "rule": "gatekeeper.rules.break_glass.approvals"} if {
	input.request.access == "break_glass"
	_use(input.request) == "non_emergency"
}

# METADATA
# title: Why break-glass rules apply
# custom:
#   code: GK-BG-001
reasons contains r if {
	input.request.access == "break_glass"
	how = _by_use(_use(input.request))
	role = object.get(data.gatekeeper.lib.context.identity, "role", "unknown")
	message = sprintf("Break-glass requested by role %s, urgency %s: %s.", [role, input.request.urgency, how.text])
	r = {"rule": "gatekeeper.rules.break_glass.consequences", "code": how.code, "message": message}
}

# METADATA
# title: What break-glass will produce, from guards that cannot fail
# description: |
#   The keys of the elements above, for the entry point to check that none went missing
#   (docs/policy-contract.md, "Announced elements"). Written apart from _use on purpose; one
#   body that fails at its first comparison unless break-glass is requested.
# custom:
#   code: GK-BG-008
announced contains k if {
	input.request.access == "break_glass"
	some k in _announced_keys(input.request)
}

_announced_keys(_) := [
	"consequences:break_glass_review", "conditions:after_review",
	"escalations:security_contact", "escalations:service_manager_contact",
	"outcomes:allow_with_consequences", "reasons:GK-BG-001",
] if {
	data.gatekeeper.lib.context.msp_staff
	data.gatekeeper.lib.context.emergency
} else := [
	"consequences:break_glass_not_emergency", "outcomes:needs_approval",
	"approvals:gatekeeper.rules.break_glass.approvals", "reasons:GK-BG-002",
] if {
	data.gatekeeper.lib.context.msp_staff
} else := ["consequences:break_glass_contact", "outcomes:deny", "reasons:GK-BG-003"]
