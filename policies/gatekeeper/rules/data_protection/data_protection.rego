# METADATA
# title: Data protection
# description: |
#   Data protection keys on what the access can reach, not on the purpose it is asked for.
#   An export (the access or the purpose is data_export) takes customer data out of the
#   managed environment; access that can read the customer data an environment holds
#   (catalog access_levels.<id>.reaches_customer_data on an environment with
#   holds_customer_data) reaches the same data whatever the stated purpose. Either way the
#   customer's security contact is told at once and an MSP approver must agree. An honoured
#   emergency skips the approval for reach (never for an export): the answer says so, and the
#   emergency rule makes the skip part of its after-review and tells the security contact (so
#   this rule does not tell them twice).
package gatekeeper.rules.data_protection

import rego.v1

# The entry point builds every rule of every rules package, and each rule costs even when it
# fails at once: the package has one helper, _guard, undefined (after one look-up) unless
# the access exports or reaches customer data. It holds the answers; the rest are functions,
# which cost only when called. The texts come from the bundle view when there is one.
_guard := {"consequence": consequence, "escalation": escalation, "message": message, "approval": approval} if {
	how = _how(input.request)
	text = _text_here(data.gatekeeper.lib.context.view_key, how)
	consequence = text.consequence
	escalation = {
		"id": "security_contact",
		"contact": text.contact,
		"reason": concat("", [text.reason_start, data.gatekeeper.lib.context.requester, ". ", text.then]),
		"rule": "gatekeeper.rules.data_protection.escalations",
	}
	approval = how != "emergency_reach"
	message = sprintf("%s (%s for %s); security contact %s is escalated to.", [text.why, input.request.access, input.request.purpose, text.contact.email])
}

# The view's texts for the request's scope, else computed here (a bundle without views, a
# follow-up with access "none").
_text_here(key, how) := data.views.data_protection[key][how] if {
	data.views.data_protection[key][how]
} else := _text(
	how, data.gatekeeper.lib.context.environment_title,
	data.gatekeeper.lib.context.access_level.title, data.gatekeeper.lib.context.customer.contacts.security,
)

# METADATA
# title: What data protection says on a customer's environment for an access level
# description: |
#   For each way it applies (export, reach, emergency_reach): the consequence, the security
#   contact and the escalation's reason around the requester. A function of data only:
#   gatekeeper.views computes it for every combination when the bundle loads.
# custom:
#   code: GK-SEC-006
texts(customer_id, environment_id, access_id) := v if {
	customer = data.customers[customer_id]
	environment = customer.environments[environment_id]
	access_level = data.catalog.access_levels[access_id]
	security = customer.contacts.security
	env_title = object.get(environment, "title", environment_id)
	v = {how: t |
		some how in ["export", "reach", "emergency_reach"]
		some t in [_text(how, env_title, access_level.title, security)]
	}
}

_text(how, env_title, access_title, security) := {
	"consequence": {
		"id": t.id,
		"kind": "security",
		"severity": "high",
		"title": t.title,
		"summary": t.summary,
		"rule": "gatekeeper.rules.data_protection.consequences",
	},
	"contact": {"role": "security", "name": security.name, "email": security.email},
	"reason_start": concat("", [t.verb, " ", env_title, ". By: "]),
	"then": t.then,
	"why": t.why,
} if {
	t = _texts(how, env_title, access_title, security.name)
}

# export | reach | emergency_reach; undefined when customer data is neither exported nor reached.
_how(_) := "export" if {
	"data_export" in [input.request.access, input.request.purpose]
} else := "emergency_reach" if {
	data.gatekeeper.lib.context.reaches_customer_data
	data.gatekeeper.lib.context.emergency
} else := "reach" if {
	data.gatekeeper.lib.context.reaches_customer_data
}

_texts(how, env_title, access_title, security_name) := t if {
	how == "export"
	summary = sprintf(
		"An export takes customer data out of %s. An approver at the MSP must agree first. We also tell %s, your security contact, at once.",
		[env_title, security_name],
	)
	t = {
		"id": "customer_data_export", "title": "customer data leaves the managed system", "summary": summary,
		"verb": "Someone asked to take data out of", "then": "An approver at the MSP must agree first.",
		"why": "Data export needs approval",
	}
}

_texts(how, env_title, access_title, security_name) := t if {
	how == "reach"
	summary = sprintf(
		"%s can read the customer data in %s, whatever the job. An approver at the MSP must agree first. We also tell %s, your security contact, at once.",
		[access_title, env_title, security_name],
	)
	t = {
		"id": "customer_data_reach", "title": "this access can read customer data", "summary": summary,
		"verb": "Someone asked for access to the customer data in", "then": "An approver at the MSP must agree first.",
		"why": "Access that reaches customer data needs approval",
	}
}

_texts(how, env_title, access_title, security_name) := t if {
	how == "emergency_reach"
	summary = sprintf(
		"%s can read the customer data in %s, whatever the job. As this is an emergency, it starts without the usual approval. We tell %s, your security contact, at once. The review afterwards checks it.",
		[access_title, env_title, security_name],
	)
	t = {
		"id": "customer_data_reach", "title": "this access can read customer data", "summary": summary,
		"verb": "In an emergency, someone got access to the customer data in", "then": "The review afterwards checks it.",
		"why": "Access that reaches customer data skips approval as an emergency",
	}
}

# METADATA
# title: The access exports or can read customer data
# custom:
#   code: GK-SEC-001
consequences contains c if {
	c = _guard.consequence
}

# METADATA
# title: The customer's security contact is told (by the emergency rule in an emergency)
# custom:
#   code: GK-SEC-002
escalations contains e if {
	_guard.approval
	e = _guard.escalation
}

# METADATA
# title: Exporting or reaching customer data needs approval
# custom:
#   code: GK-SEC-003
outcomes contains {"outcome": "needs_approval", "rule": "gatekeeper.rules.data_protection.outcomes"} if {
	_guard.approval
}

# METADATA
# title: An MSP approver signs off access to customer data
# custom:
#   code: GK-SEC-004
approvals contains {"roles": ["approver"], "count": 1, "rule": "gatekeeper.rules.data_protection.approvals"} if {
	_guard.approval
}

# METADATA
# title: Why data protection applies
# custom:
#   code: GK-SEC-001
reasons contains {"rule": "gatekeeper.rules.data_protection.consequences", "code": "GK-SEC-001", "message": message} if {
	message = _guard.message
}

# METADATA
# title: What data protection will produce, from guards that cannot fail
# description: |
#   The keys of the elements above, for the entry point to check that none went missing
#   (docs/policy-contract.md, "Announced elements"). Written apart from _how on purpose.
#   One body: a function gives the keys, so a request it does not concern tries one body.
# custom:
#   code: GK-SEC-005
announced contains k if {
	some k in _announced_keys(input.request)
}

# One else chain: the guards of _how, written again apart from it.
_announced_keys(_) := [
	"consequences:customer_data_export", "escalations:security_contact", "outcomes:needs_approval",
	"approvals:gatekeeper.rules.data_protection.approvals", "reasons:GK-SEC-001",
] if {
	"data_export" in [input.request.access, input.request.purpose]
} else := ["consequences:customer_data_reach", "reasons:GK-SEC-001"] if {
	data.gatekeeper.lib.context.reaches_customer_data
	data.gatekeeper.lib.context.emergency
} else := [
	"consequences:customer_data_reach", "escalations:security_contact", "outcomes:needs_approval",
	"approvals:gatekeeper.rules.data_protection.approvals", "reasons:GK-SEC-001",
] if {
	data.gatekeeper.lib.context.reaches_customer_data
}
