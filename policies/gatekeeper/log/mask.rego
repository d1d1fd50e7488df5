# METADATA
# title: Decision-log masking
# description: |
#   What a decision-log event must not carry, shipped or in the service log (decision_made,
#   decision_failed), as OPA's system.log.mask: a set of
#   JSON pointers to erase, or {op: "upsert", path, value} objects that replace a value.
#   Only /input/... and /result/... may be touched.
#
#   input: the decision-log event (input.input is the decision's input, input.result its
#   answer). The requester's own words may hold names, phone numbers or passwords: the
#   justification is erased, and the need and the summary that restates it are replaced by
#   how long they were. The ledger keeps them for the people who handle the request.
package gatekeeper.log

import rego.v1

_own_words := "[masked: the requester's own words, "

# METADATA
# title: Fields erased or replaced in decision logs
# custom:
#   code: GK-LOG-001
mask contains "/input/request/justification" if {
	input.input.request.justification != ""
}

mask contains {"op": "upsert", "path": "/input/request/need", "value": value} if {
	is_string(input.input.request.need)
	value = _masked(input.input.request.need)
}

mask contains {"op": "upsert", "path": "/result/summary", "value": value} if {
	is_string(input.result.summary)
	value = _masked(input.result.summary)
}

_masked(text) := concat("", [_own_words, format_int(count(text), 10), " characters]"])
