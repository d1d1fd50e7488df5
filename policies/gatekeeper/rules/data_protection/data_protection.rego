# METADATA
# title: Data protection
# description: |
#   Exporting customer data takes it out of the managed environment. It needs an MSP approver
#   and the customer's security contact is told at once.
package gatekeeper.rules.data_protection

import rego.v1

# The entry point builds every rule of every rules package, and each rule costs even when it
# fails at once: the package has one helper, _export, undefined (after one look-up) unless
# data is exported. It holds the answers.
_export := {"consequence": consequence, "escalation": escalation, "message": message} if {
	"data_export" in [input.request.access, input.request.purpose]
	security = data.gatekeeper.lib.context.customer.contacts.security
	summary = sprintf(
		"Exporting data from %s takes customer data out of the managed environment: an MSP approver must agree and %s (security contact) is told at once.",
		[data.gatekeeper.lib.context.environment_title, security.name],
	)
	consequence = {
		"id": "customer_data_export",
		"kind": "security",
		"severity": "high",
		"title": "customer data leaves the managed environment",
		"summary": summary,
		"rule": "gatekeeper.rules.data_protection.consequences",
	}
	who = data.gatekeeper.lib.context.requester
	reason = sprintf("%s asked to export data from %s/%s.", [who, input.request.customer, input.request.environment])
	escalation = {
		"id": "security_contact",
		"contact": {"role": "security", "name": security.name, "email": security.email},
		"reason": reason,
		"rule": "gatekeeper.rules.data_protection.escalations",
	}
	message = sprintf("Data export (%s for %s) needs approval; security contact %s is escalated to.", [input.request.access, input.request.purpose, security.email])
}

# METADATA
# title: Customer data leaves the managed environment
# custom:
#   code: GK-SEC-001
consequences contains c if {
	c = _export.consequence
}

# METADATA
# title: The customer's security contact is told
# custom:
#   code: GK-SEC-002
escalations contains e if {
	e = _export.escalation
}

# METADATA
# title: A data export needs approval
# custom:
#   code: GK-SEC-003
outcomes contains {"outcome": "needs_approval", "rule": "gatekeeper.rules.data_protection.outcomes"} if _export

# METADATA
# title: An MSP approver signs off a data export
# custom:
#   code: GK-SEC-004
approvals contains {"roles": ["approver"], "count": 1, "rule": "gatekeeper.rules.data_protection.approvals"} if {
	_export
}

# METADATA
# title: Why data protection applies
# custom:
#   code: GK-SEC-001
reasons contains {"rule": "gatekeeper.rules.data_protection.consequences", "code": "GK-SEC-001", "message": message} if {
	message = _export.message
}
