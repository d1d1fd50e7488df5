# METADATA
# title: Security items of a monthly report
# description: |
#   Which of a customer's requests of the month are security items, and in what order the
#   report lists them: the ones that matter most to the customer first.
#
#   input.customer: the customer id; input.requests: [{id, environment, access, urgency,
#   escalated (the decision escalated to someone), created_at (RFC 3339 UTC)}].
package gatekeeper.reports.security

import rego.v1

# METADATA
# title: The security items' ids, most important to the customer first
# description: |
#   A request is a security item when its decision escalated to someone, or it asked for
#   break-glass access, or it was declared an emergency. Order: the environment's criticality
#   in the customer's contract (critical first, no criticality last), then break-glass and
#   emergencies, then the oldest; the id breaks a tie.
# custom:
#   code: GK-REP-001
order := [id |
	some key in sort(object.keys(_keyed))
	id = _keyed[key]
]

_keyed := {key: id |
	some r in input.requests
	_is_item(r)
	id = r.id
	key = concat("|", [_place(r.environment), _urgency_rank(r), r.created_at, id])
}

_is_item(r) if r.escalated == true

_is_item(r) if _urgent(r)

_urgent(r) if r.access == "break_glass"

_urgent(r) if r.urgency == "emergency"

_urgency_rank(r) := "0" if _urgent(r)

else := "1"

# The criticality's place, as text that sorts: "0" critical ... "3" low, "4" none.
_place(environment) := p if {
	p = _criticality_place[data.customers[input.customer].environments[environment].criticality]
} else := "4"

_criticality_place := {"critical": "0", "high": "1", "medium": "2", "low": "3"}
