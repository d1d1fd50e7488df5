# METADATA
# title: Purpose fit
# description: |
#   The catalogue says which purposes each access level fulfils (access_levels.<id>.fulfils).
#   When the requested access cannot do what the request is for, the answer says so in plain
#   words, and the alternatives that fulfil the purpose are offered (a consequence means the
#   answer is at least allow_with_consequences, and such an answer lists its alternatives).
package gatekeeper.rules.purpose_fit

import rego.v1

# The entry point builds every rule of every rules package, and each rule of a package costs
# ~1.4 µs on regorus-rvm when the entry point builds the package, a helper rule included. The
# two sets share no work, so each asks context.misfit (one look-up, false for most requests)
# itself and builds its own element: no helper rule.

# METADATA
# title: The requested access cannot do what the request is for
# custom:
#   code: GK-FIT-001
consequences contains c if {
	data.gatekeeper.lib.context.misfit
	level = data.gatekeeper.lib.context.access_level
	purpose = data.gatekeeper.lib.context.purpose
	summary = concat("", [level.title, " will not let you ", purpose.action, "."])
	c = {
		"id": "access_does_not_fit",
		"kind": "fit",
		"severity": "high",
		"title": concat("", ["this access will not let you ", purpose.action]),
		"summary": summary,
		"purpose": input.request.purpose,
		"rule": "gatekeeper.rules.purpose_fit.consequences",
	}
}

# METADATA
# title: Why the access does not fit the purpose
# custom:
#   code: GK-FIT-001
reasons contains {"rule": "gatekeeper.rules.purpose_fit.consequences", "code": "GK-FIT-001", "message": message} if {
	data.gatekeeper.lib.context.misfit
	message = concat("", [
		"Access level ", input.request.access, " does not fulfil purpose ", input.request.purpose,
		" (it fulfils ", concat(", ", data.gatekeeper.lib.context.access_level.fulfils), ").",
	])
}

# METADATA
# title: What a misfit will produce, from guards that cannot fail
# description: |
#   The keys of the elements above, for the entry point to check that none went missing
#   (docs/policy-contract.md, "Announced elements").
# custom:
#   code: GK-FIT-002
announced contains k if {
	fulfils = data.gatekeeper.lib.context.access_level.fulfils
	not input.request.purpose in fulfils
	some k in ["consequences:access_does_not_fit", "reasons:GK-FIT-001"]
}
