# METADATA
# title: Request context
# description: |
#   The request joined with its data: customer, environment, tier, access level, purpose,
#   the time window and what the access does to the managed baseline. Rules read these
#   instead of repeating the look-ups.
package gatekeeper.lib.context

import rego.v1

import data.gatekeeper.lib.support_hours
import data.gatekeeper.lib.times
import data.gatekeeper.lib.util

# METADATA
# title: The request
# custom:
#   code: GK-CTX-001
request := input.request

# METADATA
# title: The customer's contract and profile
# custom:
#   code: GK-CTX-002
customer := data.customers[input.request.customer]

# METADATA
# title: The requested environment
# custom:
#   code: GK-CTX-003
environment := customer.environments[input.request.environment]

# METADATA
# title: Display name of the environment
# custom:
#   code: GK-CTX-004
environment_title := object.get(environment, "title", input.request.environment)

# METADATA
# title: The customer's SLA tier
# custom:
#   code: GK-CTX-005
tier := data.sla_tiers[customer.tier]

# METADATA
# title: The requested access level (for a follow-up with access "none", the alternative as one)
# custom:
#   code: GK-CTX-006
access_level := a if {
	a = data.catalog.access_levels[input.request.access]
} else := a if {
	input.request.access == "none"
	alt = alternative
	a = {
		"title": alt.title,
		"grants": alt.summary,
		"breaks_managed_baseline": false,
		"risk": "low",
		"changes_system": alt.changes_system,
		"self_service": _negated[alt.needs_msp_staff],
		"max_duration_hours": input.request.duration_hours,
	}
}

_negated := {true: false, false: true}

# METADATA
# title: The alternative a follow-up request takes
# description: |
#   Set when the request is the follow-up of a chosen alternative (input.request.alternative).
#   Its access is the alternative's: an access level, or "none" when the MSP does the work;
#   then access_level above describes the alternative, so no rule reads a missing level.
# custom:
#   code: GK-CTX-033
alternative := data.catalog.alternatives[input.request.alternative]

# METADATA
# title: The purpose the request serves
# custom:
#   code: GK-CTX-007
purpose := data.catalog.purposes[input.request.purpose]

# METADATA
# title: The customer's preferences, with defaults; an urgent request ranks for speed
# description: |
#   Urgency high or emergency makes speed the priority for this request, whatever the
#   customer's usual priority, and marks the preferences urgent (the ranking says so).
# custom:
#   code: GK-CTX-008
preferences := object.union(preferences_of(customer), {"priority": "speed", "urgent": true}) if {
	urgent
} else := preferences_of(customer)

# METADATA
# title: The requester marked the request urgent (high or emergency)
# custom:
#   code: GK-CTX-033
urgent if input.request.urgency in {"high", "emergency"}

# METADATA
# title: A customer's preferences, with defaults
# description: A function of data only, so bundle views can use it for every customer.
# custom:
#   code: GK-CTX-028
preferences_of(a_customer) := object.union(
	{"tolerated_downtime_hours": 0, "priority": "speed", "involvement": "delegate"},
	object.get(a_customer, "preferences", {}),
)

# METADATA
# title: Who asks
# custom:
#   code: GK-CTX-009
identity := object.get(input, "identity", {})

# METADATA
# title: Who asks, for messages
# custom:
#   code: GK-CTX-027
requester := object.get(identity, "subject", "an unknown requester")

# METADATA
# title: The identity is MSP staff (an engineer or administrator)
# custom:
#   code: GK-CTX-010
msp_staff if identity.role in {"engineer", "admin"}

# METADATA
# title: The request is an honoured emergency
# description: |
#   Declared (urgency emergency) by someone the customer's emergency data lets declare one.
#   Only an honoured emergency skips a freeze, support hours or an approval, and the
#   emergency rule then names what it skips.
# custom:
#   code: GK-CTX-011
emergency if {
	input.request.urgency == "emergency"
	may_declare_emergency
}

# METADATA
# title: The requester may declare an emergency for this customer (by role or by name)
# custom:
#   code: GK-CTX-034
may_declare_emergency if identity.role in customer.emergency.who_may_declare.roles

may_declare_emergency if requester in customer.emergency.who_may_declare.contacts

# METADATA
# title: The requester declared an emergency that is not honoured
# custom:
#   code: GK-CTX-035
emergency_refused if {
	input.request.urgency == "emergency"
	not may_declare_emergency
}

# METADATA
# title: The access can read customer data that the environment holds
# custom:
#   code: GK-CTX-036
reaches_customer_data if {
	access_level.reaches_customer_data
	object.get(environment, "holds_customer_data", true)
}

# METADATA
# title: The requested access cannot fulfil the stated purpose
# description: |
#   Only an access level says what it fulfils; a follow-up's alternative (access "none")
#   was offered because it fulfils the purpose.
# custom:
#   code: GK-CTX-037
misfit if {
	fulfils = access_level.fulfils
	not input.request.purpose in fulfils
}

# METADATA
# title: A change freeze would hold the access back, were it not an emergency
# custom:
#   code: GK-CTX-038
freeze_applies if {
	access_level.changes_system
	blocking_freeze
}

# METADATA
# title: Support is closed and the access needs an MSP engineer, were it not an emergency
# custom:
#   code: GK-CTX-039
support_closed_for_staff if {
	not access_level.self_service
	not support_open
}

# METADATA
# title: Start of the requested window (ns)
# custom:
#   code: GK-CTX-012
start_ns := times.parse_ns(input.request.start)

# METADATA
# title: Start as an RFC 3339 UTC timestamp
# custom:
#   code: GK-CTX-013
start := times.format(start_ns)

# METADATA
# title: Granted duration, capped at the access level's maximum
# custom:
#   code: GK-CTX-014
duration_hours := access_level.max_duration_hours if duration_capped

else := input.request.duration_hours

# METADATA
# title: The requested duration exceeds the access level's maximum
# custom:
#   code: GK-CTX-015
duration_capped if input.request.duration_hours > access_level.max_duration_hours

# METADATA
# title: End of the granted window (ns)
# custom:
#   code: GK-CTX-016
end_ns := times.add_hours(grant_start_ns, duration_hours)

# METADATA
# title: When the grant starts, in words in the customer's time zone
# description: |
#   A rule, not a call of times.local in each rule that shows it: a rule is computed once
#   per decision, a function once per call (the time box and the wait for support both
#   show it).
# custom:
#   code: GK-CTX-040
grant_start_text := text if {
	waits_for_support
	at = [_next_open, customer.timezone]
	text = times.words(time.date(at), time.clock(at), time.weekday(at), _place)
} else := times.words(_start_date, _start_clock, _start_weekday, _place)

# The place of the customer's time zone, for both times in words.
_place := times.place(customer.timezone)

# The start's local date, clock and weekday, each asked of the time zone once: support_open,
# the next opening and the start in words share them.
_start_date := time.date(_start_at)

_start_clock := time.clock(_start_at)

_start_weekday := time.weekday(_start_at)

_start_at := [start_ns, customer.timezone]

# METADATA
# title: When the grant starts, as an RFC 3339 UTC timestamp
# description: |
#   The requested start, or when support opens: formatted once for the time box, the wait
#   for support and the messages that show it.
# custom:
#   code: GK-CTX-042
grant_starts_at := support_opens_at if waits_for_support

else := start

# METADATA
# title: When the grant ends, in words in the customer's time zone
# description: Shown by the time box and by the summary of an allowed request; see grant_start_text.
# custom:
#   code: GK-CTX-041
end_text := text if {
	at = [end_ns, customer.timezone]
	text = times.words(time.date(at), time.clock(at), time.weekday(at), _place)
}

# METADATA
# title: The access breaks a managed baseline, so the environment must be re-provisioned
# custom:
#   code: GK-CTX-017
breaks_baseline if breaks_baseline_of(environment, access_level)

# METADATA
# title: An access level breaks an environment's managed baseline
# custom:
#   code: GK-CTX-029
breaks_baseline_of(an_environment, an_access_level) if {
	an_access_level.breaks_managed_baseline
	an_environment.managed_baseline
}

# METADATA
# title: Downtime the access causes, in hours
# custom:
#   code: GK-CTX-018
downtime_hours := downtime_of(environment, access_level)

# METADATA
# title: Downtime an access level causes on an environment, in hours
# custom:
#   code: GK-CTX-030
downtime_of(an_environment, an_access_level) := an_environment.reprovision_hours if {
	breaks_baseline_of(an_environment, an_access_level)
} else := 0

# METADATA
# title: Key of the request's customer, environment and access level in bundle views
# custom:
#   code: GK-CTX-031
view_key := scope_key(input.request.customer, input.request.environment, input.request.access)

# METADATA
# title: Key of a customer, environment and access level in bundle views
# description: The one place the key's format is written; the views and the rules share it.
# custom:
#   code: GK-CTX-032
scope_key(customer_id, environment_id, access_id) := concat("|", [customer_id, environment_id, access_id])

# METADATA
# title: Support is open at the start of the window
# description: |
#   support_hours.open_at, from the start's local clock and weekday computed once and the
#   opening and closing minutes from the bundle view (data.views.support_hours).
# custom:
#   code: GK-CTX-019
support_open if customer.support_hours.mode == "24x7"

support_open if {
	customer.support_hours.mode == "business_hours"
	lower(_start_weekday) in customer.support_hours.days
	m = (_start_clock[0] * 60) + _start_clock[1]
	m >= _opening_minutes
	m < _closing_minutes
	not _start_closed
}

# The start falls on a date support stays closed on (a public holiday): tested only when
# the customer has such dates.
_start_closed if {
	count(_closed_dates) > 0
	_start_date in _closed_dates
}

_closed_dates := d if {
	d = _support_view.closed
} else := support_hours.closed_dates(customer.support_hours)

# The customer's support hours from the bundle view: undefined without views, and then each
# value below is computed (by the function the view calls).
_support_view := data.views.support_hours[input.request.customer]

_opening_minutes := m if {
	m = _support_view.open
} else := times.minutes_of(customer.support_hours.open)

_closing_minutes := m if {
	m = _support_view.close
} else := times.minutes_of(customer.support_hours.close)

# Days from the start's weekday to the support days.
_support_offsets := o if {
	o = _support_view.offsets[_start_weekday]
} else := support_hours.offsets(customer.support_hours.days, _start_weekday)

# METADATA
# title: The customer's support hours in plain language (support_hours.describe)
# custom:
#   code: GK-CTX-043
support_hours_text := t if {
	t = _support_view.text
} else := support_hours.describe(customer.support_hours, customer.timezone)

# METADATA
# title: The grant needs an MSP engineer and waits for support hours
# description: Self-service access levels and emergencies do not wait.
# custom:
#   code: GK-CTX-025
waits_for_support if {
	support_closed_for_staff
	not emergency
}

# METADATA
# title: When the grant starts (ns) - the requested start, or when support opens
# custom:
#   code: GK-CTX-026
grant_start_ns := _next_open if waits_for_support

else := start_ns

# Computed once: several rules need it. support_hours.next_open from what support_open knows.
_next_open := start_ns if support_open

else := support_hours.opening_after(customer.timezone, start_ns, _start_clock, _support_offsets, _opening_minutes, _closed_dates)

# METADATA
# title: The closed dates a wait for support passes, in words, or ""
# description: |
#   "Support is closed on Fri 25 Dec 2026 (Christmas Day). " when support waits past one or
#   more dates of closed_on (from the start's local date up to the opening's), so that a
#   customer told "Monday to Friday" sees why a Friday was skipped.
# custom:
#   code: GK-CTX-046
support_closures_text := "" if {
	count(_closures_passed) == 0
} else := concat("", ["Support is closed on ", util.and_list(_closures_passed), ". "])

_closures_passed := [t |
	count(_closed_dates) > 0
	first = support_hours.date_key(_start_date)
	opening = support_hours.date_key(time.date([_next_open, customer.timezone]))
	some key in sort({k | some c in customer.support_hours.closed_on; k = c.date; k >= first; k < opening})
	names = sort({n | some c in customer.support_hours.closed_on; c.date == key; n = c.name})
	t = concat("", [times.day_words(key), " (", concat(" and ", names), ")"])
]

# METADATA
# title: Hours from the start until support opens
# custom:
#   code: GK-CTX-020
support_wait_hours := times.hours_between(start_ns, _next_open)

# METADATA
# title: When support opens, as an RFC 3339 UTC timestamp
# custom:
#   code: GK-CTX-021
support_opens_at := times.format(_next_open)

# Change freezes of the environment with their times parsed once.
_freezes := [p |
	some f in object.get(environment, "change_freezes", [])
	p = {"freeze": f, "start_ns": times.parse_ns(f.start), "end_ns": times.parse_ns(f.end)}
]

_active contains p if {
	some p in _freezes
	p.start_ns < end_ns
	p.end_ns > start_ns
}

# METADATA
# title: Change freezes of the environment that overlap the requested window
# custom:
#   code: GK-CTX-022
active_freezes := {f | some p in _active; f = p.freeze}

# The overlapping freeze that ends last (ties by id).
_blocking := p if {
	some p in _active
	every q in _active {
		_ends_no_later(q, p)
	}
}

_ends_no_later(q, p) if q.end_ns < p.end_ns

_ends_no_later(q, p) if {
	q.end_ns == p.end_ns
	q.freeze.id <= p.freeze.id
}

# METADATA
# title: The overlapping freeze that ends last (ties by id)
# custom:
#   code: GK-CTX-023
blocking_freeze := _blocking.freeze

# METADATA
# title: Hours from the start until the blocking freeze ends
# custom:
#   code: GK-CTX-024
freeze_wait_hours := times.hours_between(start_ns, _blocking.end_ns)

# METADATA
# title: What the ledger knows about the environment (input.context), with empty defaults
# description: |
#   sla_downtime lists recorded requests whose downtime counts against the month's SLA
#   budget; overlapping lists grants and open requests whose window overlaps this one.
#   Absent in old inputs: then both are empty.
# custom:
#   code: GK-CTX-033
ledger := object.union({"sla_downtime": [], "overlapping": []}, object.get(input, "context", {}))

# METADATA
# title: SLA minutes already used or committed this month, before this request
# description: Each recorded request's downtime hours counted as SLA minutes, then added.
# custom:
#   code: GK-CTX-034
sla_minutes_used_this_month := sum([m |
	some d in ledger.sla_downtime
	m = data.gatekeeper.lib.sla.minutes_consumed(d.downtime_hours)
])
