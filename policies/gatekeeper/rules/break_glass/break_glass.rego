# METADATA
# title: Break-glass access
# description: |
#   Break-glass is immediate administrator access for MSP on-call staff in an emergency. It is
#   granted at once, on condition of a review afterwards, and the customer's security contact
#   and service manager are told. Outside an emergency it needs approval; for anyone but MSP
#   staff it is not available, and the answer says whom to call instead.
package gatekeeper.rules.break_glass

import rego.v1

import data.gatekeeper.lib.context
import data.gatekeeper.lib.times

_rule := "gatekeeper.rules.break_glass.consequences"

_requested if input.request.access == "break_glass"

_emergency_use if {
	_requested
	context.msp_staff
	context.emergency
}

_non_emergency_use if {
	_requested
	context.msp_staff
	not context.emergency
}

_forbidden if {
	_requested
	not context.msp_staff
}

_contacts := context.customer.contacts

_review_due := times.format(times.add_hours(context.end_ns, 24))

_ticket_text := sprintf("ticket %s", [input.request.ticket]) if is_string(input.request.ticket)

else := "no ticket given"

# METADATA
# title: Break-glass use is reviewed afterwards
# custom:
#   code: GK-BG-001
consequences contains {
	"id": "break_glass_review",
	"kind": "review",
	"severity": "high",
	"title": "post-incident review",
	"summary": summary,
	"review_due": _review_due,
	"rule": _rule,
} if {
	_emergency_use
	summary := sprintf(
		"Every action is recorded; a post-incident review by %s checks them and whether the environment must be re-secured, due %s.",
		[_contacts.service_manager.name, _review_due],
	)
}

# METADATA
# title: Break-glass outside an emergency
# custom:
#   code: GK-BG-002
consequences contains {
	"id": "break_glass_not_emergency",
	"kind": "security",
	"severity": "high",
	"title": "break-glass without an emergency",
	"summary": "Break-glass access is meant for emergencies; without one, an approver must agree. A scoped or supervised alternative usually serves the need.",
	"rule": "gatekeeper.rules.break_glass.consequences",
} if _non_emergency_use

# METADATA
# title: Break-glass is not available to this requester
# custom:
#   code: GK-BG-003
consequences contains {
	"id": "break_glass_contact",
	"kind": "contact",
	"severity": "high",
	"title": "break-glass is for MSP on-call staff",
	"summary": summary,
	"contact": {"role": "service_manager", "name": sm.name, "email": sm.email},
	"rule": "gatekeeper.rules.break_glass.consequences",
} if {
	_forbidden
	sm := _contacts.service_manager
	summary := sprintf(
		"Break-glass access is only for the MSP's on-call engineers. For an emergency, raise an incident so they act at once, or contact %s (%s).",
		[sm.name, sm.email],
	)
}

# METADATA
# title: Mandatory review after break-glass use
# custom:
#   code: GK-BG-004
conditions contains {
	"id": "after_review",
	"summary": summary,
	"review_due": _review_due,
	"mandatory": true,
	"rule": "gatekeeper.rules.break_glass.conditions",
} if {
	_emergency_use
	summary := sprintf("A post-incident review of every action taken is mandatory, due %s.", [_review_due])
}

# METADATA
# title: Security contact and service manager are told of break-glass use
# custom:
#   code: GK-BG-005
escalations contains {
	"id": id,
	"contact": {"role": role, "name": c.name, "email": c.email},
	"reason": reason,
	"rule": "gatekeeper.rules.break_glass.escalations",
} if {
	_emergency_use
	some role in ["security", "service_manager"]
	c := _contacts[role]
	id := concat("", [role, "_contact"])
	who := context.requester
	reason := sprintf("Break-glass access to %s/%s by %s (%s).", [input.request.customer, input.request.environment, who, _ticket_text])
}

# METADATA
# title: Outcome of a break-glass request
# custom:
#   code: GK-BG-006
outcomes contains {"outcome": "allow_with_consequences", "rule": "gatekeeper.rules.break_glass.outcomes"} if _emergency_use

outcomes contains {"outcome": "needs_approval", "rule": "gatekeeper.rules.break_glass.outcomes"} if _non_emergency_use

outcomes contains {"outcome": "deny", "rule": "gatekeeper.rules.break_glass.outcomes"} if _forbidden

# METADATA
# title: An approver signs off break-glass outside an emergency
# custom:
#   code: GK-BG-007
approvals contains {"roles": ["approver"], "count": 1, "rule": "gatekeeper.rules.break_glass.approvals"} if {
	_non_emergency_use
}

_reason_code := "GK-BG-001" if _emergency_use

_reason_code := "GK-BG-002" if _non_emergency_use

_reason_code := "GK-BG-003" if _forbidden

_reason_text := "emergency use by MSP staff: granted, reviewed afterwards" if _emergency_use

_reason_text := "no emergency: needs approval" if _non_emergency_use

_reason_text := "requester is not MSP staff: not available" if _forbidden

# METADATA
# title: Why break-glass rules apply
# custom:
#   code: GK-BG-001
reasons contains {"rule": _rule, "code": _reason_code, "message": message} if {
	_requested
	role := object.get(context.identity, "role", "unknown")
	message := sprintf("Break-glass requested by role %s, urgency %s: %s.", [role, input.request.urgency, _reason_text])
}
