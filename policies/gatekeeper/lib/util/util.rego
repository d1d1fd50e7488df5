# METADATA
# title: Collection helpers
# description: |
#   Largest and smallest number of a collection by comparison, and an order-preserving
#   severity rank. Built on comparison operators because some engines order numbers as text
#   in max, min and sort.
package gatekeeper.lib.util

import rego.v1

# METADATA
# title: Largest number of a non-empty collection
# custom:
#   code: GK-LIB-UTIL-001
max_of(xs) := m if {
	some m in xs
	every x in xs {
		x <= m
	}
}

# METADATA
# title: Smallest number of a non-empty collection
# custom:
#   code: GK-LIB-UTIL-002
min_of(xs) := m if {
	some m in xs
	every x in xs {
		x >= m
	}
}

# METADATA
# title: Severity rank, most severe first (sorts as text)
# custom:
#   code: GK-LIB-UTIL-003
severity_rank := {"critical": "0", "high": "1", "medium": "2", "low": "3", "info": "4"}

# METADATA
# title: Outcomes from least to most restrictive
# custom:
#   code: GK-LIB-UTIL-004
outcome_order := ["allow", "allow_with_consequences", "needs_approval", "deny"]

# METADATA
# title: A number as text with at most two decimals and no trailing zeros
# description: |
#   Engines print floats differently with %v (99.9 may come out as 99.90000000000001), so
#   numbers in messages are printed from whole parts. Built with sprintf and trim_right only
#   (not concat or format_int), so the text is safe to embed in another sprintf on every
#   engine. "12.50" loses its trailing zero, "12.00" its zeros and then its point.
# custom:
#   code: GK-LIB-UTIL-005
num(x) := sprintf("%d", [round(x)]) if {
	# Whole numbers take the short way; negative ones do not (regorus prints "%d" of -5 as "--5").
	x >= 0
	x == round(x)
} else := trim_right(trim_right(_hundredths(x), "0"), ".")

# "12.34", "12.30" or "12.00": no "%" operator, one engine gets big remainders wrong.
_hundredths(x) := text if {
	c = round(abs(x) * 100)
	whole = floor(c / 100)
	text = sprintf("%s%d.%02d", [_sign[round(x * 100) < 0], whole, c - (whole * 100)])
}

_sign := {true: "-", false: ""}

# METADATA
# title: A number of hours in words ("1 hour", "2.5 hours")
# custom:
#   code: GK-LIB-UTIL-006
hours_text(h) := "1 hour" if h == 1

else := sprintf("%s hours", [num(h)])

# METADATA
# title: An amount of money with two decimals and its currency ("EUR 22.50")
# description: |
#   For text a customer reads; numeric fields stay numbers. Rounded to cents.
# custom:
#   code: GK-LIB-UTIL-007
money(amount, currency) := concat("", [currency, " ", _hundredths(amount)])

# METADATA
# title: Texts as a list in words ("a", "a and b", "a, b and c")
# custom:
#   code: GK-LIB-UTIL-008
and_list(texts) := texts[0] if {
	count(texts) == 1
} else := concat(" and ", [concat(", ", array.slice(texts, 0, count(texts) - 1)), texts[count(texts) - 1]]) if {
	count(texts) > 1
}
