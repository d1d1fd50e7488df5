# METADATA
# title: Gatekeeper decision
# description: |
#   Entry point. Gathers consequences, conditions, escalations, outcomes, approvals and
#   reasons from every package under data.gatekeeper.rules (a new rule file needs no change
#   here), lets the most restrictive outcome win, and adds the alternatives ranked for the
#   customer. Every list is sorted so that every engine returns the same JSON.
package gatekeeper

import rego.v1

import data.gatekeeper.lib.util

# Every rules package, looked up once: regorus-rvm evaluates the packages again for every
# `data.gatekeeper.rules[name]` look-up, so everything below reads this one value.
_rules := data.gatekeeper.rules

# The package names, without the policy tests' packages (`<name>_test`, loaded beside them
# by `gatekeeper test`), and the packages as a list, built once: walking it is cheaper than a
# look-up per set.
_names := [name | some name; _rules[name]; not endswith(name, "_test")]

_packages := [p | some name; p = _rules[name]; not endswith(name, "_test")]

# Each set a package can contribute to, empty. A package whose sets are all empty (most
# packages, for most requests) is a subset of it once its other rules are left out: two
# builtins per package instead of a look-up per set.
_no_elements := {
	"consequences": set(), "conditions": set(), "escalations": set(), "next_steps": set(),
	"outcomes": set(), "approvals": set(), "reasons": set(),
}

# The packages that produced at least one element: the only ones the sets below walk.
_busy := [p |
	some p in _packages
	not object.subset(_no_elements, object.filter(p, _key_sets))
]

_consequences contains c if {
	some p in _busy
	some c in p.consequences
}

_outcomes contains o if {
	some p in _busy
	some o in p.outcomes
}

_approvals contains a if {
	some p in _busy
	some a in p.approvals
}

_rule_reasons contains r if {
	some p in _busy
	some r in p.reasons
}

# Announced elements (docs/policy-contract.md, "Announced elements"). Every rules package
# lists in `announced`, from guards that cannot fail, the key of each element it will
# produce: "<set>:<id>", where the id is the element's field below. The decision exists only
# when every package produced exactly what it announced. An engine that drops an element on a
# runtime error (regorus-rvm turns it into undefined) then has no decision, and the service
# asks the interpreter, which raises: it fails closed instead of answering with less.
_key_field := {
	"consequences": "id", "conditions": "id", "escalations": "id", "next_steps": "id",
	"outcomes": "outcome", "approvals": "rule", "reasons": "code",
}

# `some k in [...]` binds k: regopy finds a cycle in `k = f(...)` inside a function.
_produced(p) := {k |
	some s in _key_sets
	some e in object.get(p, s, [])
	some k in [concat(":", [s, e[_key_field[s]]])]
}

_key_sets := object.keys(_key_field)

# Counted, not negated: a comparison that fails for any reason (a package without an
# `announced` rule included) leaves a count short. A package that produced nothing (not in
# _busy) produced no key, so it must have announced none: of the packages that announced
# none, all but the busy ones are those. The keys of a busy package are _produced(p).
_intact if {
	matched = [p |
		some p in _busy
		p.announced == {k | some s in _key_sets; some e in p[s]; k = concat(":", [s, e[_key_field[s]]])}
	]
	count(matched) == count(_busy)
	silent = [p | some p in _packages; p.announced == set()]
	silent_busy = [p | some p in _busy; p.announced == set()]
	count(silent) - count(silent_busy) == count(_packages) - count(_busy)
}

# METADATA
# title: Rules packages that did not produce what they announced
# description: |
#   Each name with the keys that went missing, the keys produced but not announced, and
#   announces false when the package has no announced rule (it then leaves no decision).
#   Empty when the decision is intact; ask for it when data.gatekeeper.decision is undefined.
# custom:
#   code: GK-DEC-002
unannounced contains {"package": name, "missing": missing, "unexpected": unexpected, "announces": announces} if {
	some name in _names
	p = _rules[name]
	produced = _produced(p)
	announced = object.get(p, "announced", set())
	announces = object.get(_announcing, name, false)
	[produced, announces] != [announced, true]
	missing = sort([k | some k in announced; not k in produced])
	unexpected = sort([k | some k in produced; not k in announced])
}

_announcing[name] := true if {
	some name in _names
	_ = _rules[name].announced
}

# Sorting: every element gets a unique text key; lists follow the sorted keys (conditions,
# escalations and next steps are keyed as they are gathered: no set first). Written out
# for each list: a function would cost a call, and its comprehension would need
# `some v in [index[k]]` (regopy finds a cycle in `v = index[k]` inside a function).
_consequence_index := {k: c |
	some c in _consequences
	k = concat("|", [data.gatekeeper.lib.util.severity_rank[c.severity], c.id, c.rule])
}

_consequence_list := [c | some k in sort(object.keys(_consequence_index)); c = _consequence_index[k]]

# A denial grants nothing, so it carries no conditions.
_condition_list := [] if {
	_outcome == "deny"
} else := [c | some k in sort(object.keys(_condition_index)); c = _condition_index[k]]

_condition_index := {k: c | some p in _busy; some c in p.conditions; k = concat("|", [c.id, c.rule])}

_next_step_index := {k: s | some p in _busy; some s in p.next_steps; k = concat("|", [s.id, s.rule])}

_next_step_list := [s | some k in sort(object.keys(_next_step_index)); s = _next_step_index[k]]

_escalation_index := {k: e | some p in _busy; some e in p.escalations; k = concat("|", [e.id, e.rule])}

_escalation_list := [e | some k in sort(object.keys(_escalation_index)); e = _escalation_index[k]]

# Outcome: the most restrictive one asked for; consequences alone mean allow_with_consequences.
_levels contains i if {
	some o in _outcomes
	data.gatekeeper.lib.util.outcome_order[i] == o.outcome
}

_levels contains 1 if count(_consequences) > 0

_levels contains 0

_outcome := data.gatekeeper.lib.util.outcome_order[util.max_of(_levels)]

_roles := sort({r | some a in _approvals; some r in a.roles}) if count(_approvals) > 0

else := ["approver"]

_approver_count := util.max_of({n | some a in _approvals; n = a.count}) if count(_approvals) > 0

else := 1

_approval := {"required": true, "roles": _roles, "count": _approver_count} if {
	_outcome == "needs_approval"
} else := {"required": false, "roles": [], "count": 0}

_alternative_list := [] if _outcome == "allow"

else := data.gatekeeper.alternatives.ranked

_alternatives_reason contains {"rule": "gatekeeper.alternatives.ranked", "code": "GK-ALT-003", "message": message} if {
	_outcome != "allow"
	n = count(_alternative_list)
	purpose = input.request.purpose
	message = sprintf(
		"%d alternatives fulfil %s; ranked for priority %s and involvement %s.",
		[n, purpose, data.gatekeeper.lib.context.preferences.priority, data.gatekeeper.lib.context.preferences.involvement],
	)
}

_reason_index := {k: r |
	some r in _rule_reasons | _alternatives_reason
	k = concat("|", [r.rule, r.code, r.message])
}

_reason_list := [r | some k in sort(object.keys(_reason_index)); r = _reason_index[k]]

# Summary: short plain-language sentences. Each consequence's title is a sentence of its own.
# Written out, not a function per title: a call costs more than the builtins.
_headline := concat(". ", [t |
	some c in _consequence_list
	title = object.get(c, "title", c.id)
	t = concat("", [upper(substring(title, 0, 1)), substring(title, 1, -1)])
])

_offer := "No other way does this job. The contact named below can help." if {
	count(_alternative_list) == 0
} else := "We offer 1 other way to do it." if {
	count(_alternative_list) == 1
} else := sprintf("We offer %d other ways to do it, best for you first.", [count(_alternative_list)])

# What is asked for: the chosen alternative's title for a follow-up, else the access level's.
_title := t if {
	t = data.gatekeeper.lib.context.alternative.title
} else := data.gatekeeper.lib.context.access_level.title

_what := concat(" on ", [_title, data.gatekeeper.lib.context.environment_title])

# The consequence titles as sentences, when there are any.
_because := concat("", [_headline, ". "]) if count(_consequence_list) > 0

else := ""

# A follow-up ends its summary with the next step for the requester.
# Gathered first: regorus-rvm never takes an `else` after a body that finds nothing.
_next_summaries := [t | some s in _next_step_list; s.id == "next_step"; t = s.summary]

_next := concat("", [" Next step: ", _next_summaries[0]]) if {
	count(_next_summaries) > 0
} else := ""

_answer_text := text if {
	_outcome == "allow"
	not data.gatekeeper.lib.context.alternative
	text = concat("", ["You get ", _what, " until ", data.gatekeeper.lib.context.end_text, "."])
} else := text if {
	# A follow-up allowed at once: what the alternative brings, then the next step.
	_outcome == "allow"
	some c in _condition_list
	c.id == "alternative_terms"
	text = concat("", ["You chose ", _what, ". ", c.summary, _next])
}

# concat, not sprintf: one engine quotes strings built by concat inside sprintf.
_answer_text := concat("", ["You can have ", _what, " if you accept this. ", _because, _offer, _next]) if {
	_outcome == "allow_with_consequences"
}

_answer_text := concat("", [_what, " needs an approver to agree. ", _because, _offer, _next]) if {
	_outcome == "needs_approval"
}

_answer_text := concat("", ["You cannot have ", _what, ". ", _because, _offer]) if {
	_outcome == "deny"
}

# The summary restates the need in the requester's own words, then gives the answer.
_need := trim_right(trim_space(object.get(input.request, "need", "")), ".")

_need_text := concat("", ["You asked to: ", _need, ". "]) if {
	_need != ""
} else := concat("", ["You asked to: ", lower(data.gatekeeper.lib.context.purpose.title), ". "])

_summary := concat("", [_need_text, _answer_text])

# METADATA
# title: The decision for the access request in input
# description: |
#   outcome, summary, consequences, alternatives, conditions, approval, escalations,
#   next_steps and reasons, as in docs/policy-contract.md. Undefined when a rules package
#   did not produce what it announced (see unannounced).
# custom:
#   code: GK-DEC-001
decision := {
	"outcome": _outcome,
	"summary": _summary,
	"consequences": _consequence_list,
	"alternatives": _alternative_list,
	"conditions": _condition_list,
	"approval": _approval,
	"escalations": _escalation_list,
	"next_steps": _next_step_list,
	"reasons": _reason_list,
} if _intact
