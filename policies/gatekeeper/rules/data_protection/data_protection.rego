# METADATA
# title: Data protection
# description: |
#   Exporting customer data takes it out of the managed environment. It needs an MSP approver
#   and the customer's security contact is told at once.
package gatekeeper.rules.data_protection

import rego.v1


_exports_data if input.request.access == "data_export"

_exports_data if input.request.purpose == "data_export"

_security := data.gatekeeper.lib.context.customer.contacts.security if _exports_data

# METADATA
# title: Customer data leaves the managed environment
# custom:
#   code: GK-SEC-001
consequences contains {
	"id": "customer_data_export",
	"kind": "security",
	"severity": "high",
	"title": "customer data leaves the managed environment",
	"summary": summary,
	"rule": "gatekeeper.rules.data_protection.consequences",
} if {
	_exports_data
	env_title = data.gatekeeper.lib.context.environment_title
	summary = sprintf(
		"Exporting data from %s takes customer data out of the managed environment: an MSP approver must agree and %s (security contact) is told at once.",
		[env_title, _security.name],
	)
}

# METADATA
# title: The customer's security contact is told
# custom:
#   code: GK-SEC-002
escalations contains e if {
	_exports_data
	who = data.gatekeeper.lib.context.requester
	reason = sprintf("%s asked to export data from %s/%s.", [who, input.request.customer, input.request.environment])
	e = {
		"id": "security_contact",
		"contact": {"role": "security", "name": _security.name, "email": _security.email},
		"reason": reason,
		"rule": "gatekeeper.rules.data_protection.escalations",
	}
}

# METADATA
# title: A data export needs approval
# custom:
#   code: GK-SEC-003
outcomes contains {"outcome": "needs_approval", "rule": "gatekeeper.rules.data_protection.outcomes"} if _exports_data

# METADATA
# title: An MSP approver signs off a data export
# custom:
#   code: GK-SEC-004
approvals contains {"roles": ["approver"], "count": 1, "rule": "gatekeeper.rules.data_protection.approvals"} if {
	_exports_data
}

# METADATA
# title: Why data protection applies
# custom:
#   code: GK-SEC-001
reasons contains {"rule": "gatekeeper.rules.data_protection.consequences", "code": "GK-SEC-001", "message": message} if {
	_exports_data
	message = sprintf("Data export (%s for %s) needs approval; security contact %s is escalated to.", [input.request.access, input.request.purpose, _security.email])
}
