# METADATA
# title: Notification texts
# description: |
#   The subject and text of each message, in plain words, with times in the customer's time
#   zone. The link to the request is added by the dispatcher (it knows the public address).
package gatekeeper.notify

import rego.v1

import data.gatekeeper.lib.times

_env := object.get(object.get(_customer.environments, input.request.environment, {}), "title", input.request.environment)

_access := object.get(object.get(data.catalog.access_levels, input.request.access, {}), "title", input.request.access)

_ref := substring(input.request.id, 0, 8)

_when(ts) := times.local_text(ts, _customer.timezone)

_reason := r if {
	r = input.event.reason
	is_string(r)
	r != ""
} else := "none was given"

_what := concat("", [_access, " on ", _env])

_words(n) := {"subject": concat("", ["Please read now: a request on ", _env]), "text": concat("", [n.reason, " Request ", _ref, "."])} if n.topic == "escalation"

_words(n) := {
	"subject": concat("", ["Please read now: a request on ", _env]),
	"text": concat("", [
		input.request.requester, " asked for ", _what, ". You asked us to tell you of this at once. ",
		"The need: ", input.request.need, ". Request ", _ref, ".",
	]),
} if n.topic == "security"

_words(n) := {
	"subject": concat("", ["A request on ", _env, " waits for you"]),
	"text": concat("", [
		input.request.requester, " asks for ", _what, " (", _customer.name, "). ",
		"The need: ", input.request.need, ". Please approve or reject it. Request ", _ref, ".",
	]),
} if n.topic == "approval_needed"

_words(n) := _outcome(_outcome_key) if n.topic == "outcome"

# An extension keeps the grant (granted to granted): its own words, whatever the answer was
# (a linked request brings a refusal or a wait with its own message).
_outcome_key := "extended" if input.event.action == "extend"

else := input.event.to

_words(n) := {
	"subject": "Your access ends soon",
	"text": concat("", [
		"Your access to ", _env, " ends at ", _when(input.request.grant_ends_at), ". ",
		"Save your work before then. If you need more time, ask for it now. Request ", _ref, ".",
	]),
} if n.topic == "grant_ending"

_words(n) := {
	"subject": concat("", ["No answer yet to a request on ", _env]),
	"text": concat("", [
		"Request ", _ref, " from ", input.request.requester, " for ", _what,
		" has waited since ", _when(input.event.since), " with no answer. It waits for ",
		_waits_for[input.request.state], ". Please act on it or pass it on.",
	]),
} if n.topic == "overdue"

_waits_for := {"awaiting_approval": "an approval", "awaiting_acceptance": "the requester to accept or choose"}

_outcome("granted") := {
	"subject": "Your access is ready",
	"text": concat("", ["Your access to ", _env, " is ready. It ends at ", _when(input.request.grant_ends_at), ". Request ", _ref, "."]),
}

_outcome("extended") := {
	"subject": "We have an answer on your request for more time",
	"text": concat("", ["You asked for more time on ", _env, ". Your access ends at ", _when(input.request.grant_ends_at), ". If more time needs an approval or cannot be given, we tell you about it in another message. Request ", _ref, "."]),
}

_outcome("denied") := {
	"subject": "Your request cannot go ahead as asked",
	"text": concat("", ["We cannot give ", _what, " as asked. The answer shows what you can do instead. Request ", _ref, "."]),
}

_outcome("rejected") := {
	"subject": "Your request was not approved",
	"text": concat("", ["An approver did not agree to ", _what, ". The reason: ", _reason, ". The answer shows what you can do instead. Request ", _ref, "."]),
}

# After a grant ends, the requester is asked whether the access did the job: one click on
# the request page (the message links to it) records the answer for the monthly report.
_did_it_help := " Did it let you do what you needed? Tell us with one click on the request page."

_outcome("expired") := {
	"subject": "Your access has ended",
	"text": concat("", ["Your time on ", _env, " is up. Your access ended at ", _when(input.event.at), ".", _did_it_help, " Request ", _ref, "."]),
}

_outcome("revoked") := {
	"subject": "Your access was ended early",
	"text": concat("", ["Your access to ", _env, " was ended at ", _when(input.event.at), ". The reason: ", _reason, ".", _did_it_help, " Request ", _ref, "."]),
}
