# METADATA
# title: Deadlines of waiting requests
# description: |
#   Each waiting state has a deadline: the customer's tier says how many support hours it may
#   last (sla_tiers.<tier>.answer_within_hours), counted in the customer's support hours and
#   time zone. Each further period past it is one more level of escalation (the next contact
#   of notify.routes.overdue).
#
#   input.request: {customer, state}; input.since: when the request last moved (RFC 3339);
#   input.now: the time of asking.
package gatekeeper.deadlines

import rego.v1

import data.gatekeeper.lib.support_hours
import data.gatekeeper.lib.times

# METADATA
# title: Support hours a waiting state may last, by the customer's tier
# custom:
#   code: GK-NTF-007
answer_within_hours(customer_id, state) := h if {
	tier = data.customers[customer_id].tier
	h = data.sla_tiers[tier].answer_within_hours[state]
}

# The ends of the support hours after input.since, as many as the last level needs. Around
# the clock: each hour. In business hours: the end of each hour slot that starts while support
# is open (a week more than the open hours need is looked at, and a day more for each closed
# date in that time). Rules, not functions: rego-cpp
# cannot unify a comprehension inside a function here.
_since := times.parse_ns(input.since)

_needed := _hours * _levels

_ends := ends if {
	_customer.support_hours.mode == "24x7"
	ends = [end | some i in numbers.range(1, _needed); end = _after(_since, i)]
}

_ends := ends if {
	_customer.support_hours.mode == "business_hours"
	h = _customer.support_hours
	closed = support_hours.closed_dates(h)
	tz = _customer.timezone
	scan = _weeks_scan + (24 * _closed_in_scan)
	ends = [end | some i in numbers.range(0, scan - 1); support_hours.open_within(h.days, _opening, _closing, closed, tz, _after(_since, i)); end = _after(_since, i + 1)]
}

# The opening and closing minutes after local midnight, parsed once per deadline.
_opening := times.minutes_of(_customer.support_hours.open)

_closing := times.minutes_of(_customer.support_hours.close)

# Hours to scan: the open hours needed at the weekly rate, and a week more.
_weeks_scan := ceil((_needed / per_week) * 168) + 168 if {
	per_week = (count(_customer.support_hours.days) * (_closing - _opening)) / 60
	per_week > 0
}

# Closed dates from the start's date to the end of the scan: each may take up to a day's
# hour slots away, so the scan looks a day further for each. Counted up to where the scan
# would end if every closed date still ahead fell into it, which bounds the true count.
_closed_in_scan := count([d | some d in _closed_ahead; d <= _furthest_key])

_furthest_key := support_hours.date_key(time.date([_after(_since, _weeks_scan + (24 * count(_closed_ahead))), _customer.timezone]))

_closed_ahead := [d |
	some c in object.get(_customer.support_hours, "closed_on", [])
	d = c.date
	d >= _since_key
]

_since_key := support_hours.date_key(time.date([_since, _customer.timezone]))

_hours := answer_within_hours(input.request.customer, input.request.state)

# How many deadlines have passed by input.now (0 before the first).
_level := count([l | some l in numbers.range(1, _levels); _ends[(l * _hours) - 1] <= times.parse_ns(input.now)])

_after(since_ns, hours) := since_ns + (hours * times.hour_ns)

_customer := data.customers[input.request.customer]

_levels := n if {
	n = count(object.get(object.get(object.get(_customer, "notify", {}), "routes", {}), "overdue", []))
	n > 0
} else := 1

_clock_words(c) := "support hours" if c.support_hours.mode == "business_hours"

_clock_words(c) := "hours" if c.support_hours.mode == "24x7"

_deadline_text("awaiting_approval", h, when, c) := concat("", [
	"An approver should answer by ", when, " (within ", sprintf("%d", [h]), " ", _clock_words(c), ").",
])

_deadline_text("awaiting_acceptance", h, when, c) := concat("", [
	"Please accept or choose an option by ", when, " (within ", sprintf("%d", [h]), " ", _clock_words(c), ").",
])

# METADATA
# title: The deadline of a waiting request, and how many deadlines have passed
# description: |
#   {state, hours, due (RFC 3339 UTC), due_text (customer's time zone), summary, level (0 while
#   before the deadline), levels}. Undefined for a state without a deadline.
# custom:
#   code: GK-NTF-009
deadline := {
	"state": state, "hours": h, "due": times.format(due), "due_text": when,
	"summary": _deadline_text(state, h, when, c), "level": level, "levels": _levels,
} if {
	c = _customer
	state = input.request.state
	h = answer_within_hours(input.request.customer, state)
	due = _ends[h - 1]
	when = times.local(due, c.timezone)
	level = _level
}
