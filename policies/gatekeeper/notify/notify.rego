# METADATA
# title: Who is told what
# description: |
#   Routing of notifications. The ledger writes an event for every decision and every step
#   of a request (and the dispatcher's scheduler one when a grant ends soon or a request has
#   waited past its deadline); this package says who hears of it, by which channel, and what
#   the message says. Contacts and what each wants to hear about are customer data
#   (customers.<id>.contacts and customers.<id>.notify). Python only delivers.
#
#   input.event:    {id, type (decided | transitioned | grant_ending | overdue), action,
#                    from, to, at, actor, reason, level (overdue), since (overdue)}
#   input.request:  {id, customer, environment, requester, access, purpose, need, urgency,
#                    state, version, grant_ends_at}
#   A timer's event still stands only while the request is as it was: a reminder while the
#   grant lasts, an overdue notice while the request has not moved (same version).
#   input.decision: the recorded decision (outcome, escalations, consequences, approval)
package gatekeeper.notify

import rego.v1


_customer := data.customers[input.request.customer]

_notify := object.get(_customer, "notify", {})

_routes := object.get(_notify, "routes", {})

_security := object.get(_notify, "security", {})

_route(topic) := object.get(_routes, topic, [])

# METADATA
# title: The topics a customer may route
# custom:
#   code: GK-NTF-001
topics := {"security", "approval_needed", "outcome", "grant_ending", "overdue"}

# METADATA
# title: States whose news is an outcome for the requester
# custom:
#   code: GK-NTF-002
outcome_states := {"granted", "denied", "rejected", "expired", "revoked"}

# METADATA
# title: The request is what this customer counts as a security issue
# description: |
#   The access level, the urgency or a consequence kind the customer listed under
#   notify.security, or any escalation the decision makes.
# custom:
#   code: GK-NTF-003
security_issue if input.request.access in object.get(_security, "access", [])

security_issue if input.request.urgency in object.get(_security, "urgency", [])

security_issue if {
	some c in input.decision.consequences
	c.kind in object.get(_security, "consequence_kinds", [])
}

security_issue if count(input.decision.escalations) > 0

_decided_or_moved if input.event.type in {"decided", "transitioned"}

# What happened, for whom: {topic, role, fallback (the decision's contact, if any), reason}.
_notices contains {"topic": "escalation", "role": role, "fallback": contact, "reason": reason} if {
	input.event.type == "decided"
	some e in input.decision.escalations
	contact = e.contact
	role = contact.role
	reason = e.reason
}

_notices contains {"topic": "security", "role": role, "fallback": null, "reason": null} if {
	input.event.type == "decided"
	security_issue
	some role in _route("security")
	not role in _escalated_roles
}

_escalated_roles := {r | some e in input.decision.escalations; r = e.contact.role}

_notices contains {"topic": "approval_needed", "role": role, "fallback": null, "reason": null} if {
	_decided_or_moved
	input.event.to == "awaiting_approval"
	input.event.from != "awaiting_approval"
	some role in _route("approval_needed")
}

_notices contains {"topic": "outcome", "role": role, "fallback": null, "reason": null} if {
	_decided_or_moved
	input.event.to in outcome_states
	some role in _route("outcome")
}

_notices contains {"topic": "grant_ending", "role": role, "fallback": null, "reason": null} if {
	input.event.type == "grant_ending"
	input.request.state == "granted"
	some role in _route("grant_ending")
}

_notices contains {"topic": "overdue", "role": role, "fallback": null, "reason": null} if {
	input.event.type == "overdue"
	input.request.version == input.event.version
	role = _route("overdue")[input.event.level - 1]
}

# The contacts a route may name: the customer's contacts, the requester, the MSP on-call desk.
_contact(role, customer) := c if {
	role == "requester"
	contains(input.request.requester, "@")
	c = {"name": input.request.requester, "email": input.request.requester}
} else := customer.emergency.msp_on_call if {
	role == "msp_on_call"
} else := c if {
	not role in {"requester", "msp_on_call"}
	c = customer.contacts[role]
}

_resolve(n) := c if {
	c = _contact(n.role, _customer)
} else := n.fallback

_hook(c) := object.get(c, "webhook", {})

_chat(c) := object.get(c, "chat", {})

_channels(c) := {ch |
	some ch in [
		{"channel": "email", "to": object.get(c, "email", null), "secret": null},
		{"channel": "webhook", "to": object.get(_hook(c), "url", null), "secret": object.get(_hook(c), "secret", null)},
		{"channel": object.get(_chat(c), "kind", null), "to": object.get(_chat(c), "url", null), "secret": null},
	]
	ch.to != null
}

_is_security(n) if n.topic in {"escalation", "security"}

_heard(n) if not object.get(_notify, "mute_non_security", false)

_heard(n) if _is_security(n)

_within(n) := object.get(_security, "within_minutes", 15) if _is_security(n)

_within(n) := null if not _is_security(n)

# MSP contacts work in the console; the customer's people read the request page.
_path(role) := concat("", ["/console/requests/", input.request.id]) if role in {"approvers", "msp_on_call"}

_path(role) := concat("", ["/requests/", input.request.id]) if not role in {"approvers", "msp_on_call"}

# METADATA
# title: The messages to send for input.event
# description: |
#   One for every contact the event concerns and every channel that contact has (e-mail,
#   a signed webhook, a Slack or Teams chat), unless the customer muted notices that are
#   not about security. `security` messages carry `within_minutes`: how fast the customer
#   must hear of it.
# custom:
#   code: GK-NTF-004
messages contains m if {
	some n in _notices
	_heard(n)
	c = _resolve(n)
	is_object(c)
	some ch in _channels(c)
	words = _words(n)
	m = {
		"topic": n.topic,
		"contact": n.role,
		"name": c.name,
		"channel": ch.channel,
		"to": ch.to,
		"secret": ch.secret,
		"security": n.topic in {"escalation", "security"},
		"within_minutes": _within(n),
		"subject": words.subject,
		"text": words.text,
		"path": _path(n.role),
		"rule": "gatekeeper.notify.messages",
	}
}

# METADATA
# title: The scheduler's timers per customer
# description: |
#   grant_reminder_minutes: remind the requester this long before a grant ends (0: never);
#   levels: how many contacts routes.overdue names (deadlines: see deadline.rego).
# custom:
#   code: GK-NTF-005
timers[id] := {"grant_reminder_minutes": remind, "levels": levels} if {
	some id, c in data.customers
	n = object.get(c, "notify", {})
	remind = object.get(n, "grant_reminder_minutes", 0)
	levels = count(object.get(object.get(n, "routes", {}), "overdue", []))
}

_known(c) := {k | c.contacts[k]} | {"requester", "msp_on_call"}

# METADATA
# title: Routes that name a contact the customer does not have
# custom:
#   code: GK-NTF-006
problems contains msg if {
	some id, c in data.customers
	some topic, roles in object.get(object.get(c, "notify", {}), "routes", {})
	some role in roles
	not role in _known(c)
	msg = sprintf("customer %s: notify.routes.%s names the unknown contact %s (known: %s)", [id, topic, role, concat(", ", sort(_known(c)))])
}
