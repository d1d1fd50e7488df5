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
#   numbers in messages are printed from whole parts. Built with sprintf only, so the text is
#   safe to embed in another sprintf on every engine.
# custom:
#   code: GK-LIB-UTIL-005
num(x) := sprintf("%s%s", [_sign(x), _digits(round(abs(x) * 100))])

_sign(x) := "-" if round(x * 100) < 0

_sign(x) := "" if round(x * 100) >= 0

# c is the number in hundredths. No "%" operator: one engine gets big remainders wrong.
_digits(c) := text if {
	whole := floor(c / 100)
	cents := c - (whole * 100)
	tenths := floor(cents / 10)
	text := _join(whole, cents, tenths, cents - (tenths * 10))
}

_join(whole, 0, _, _) := sprintf("%d", [whole])

_join(whole, cents, tenths, 0) := sprintf("%d.%d", [whole, tenths]) if cents != 0

_join(whole, _, tenths, last) := sprintf("%d.%d%d", [whole, tenths, last]) if last != 0

# METADATA
# title: A number of hours in words ("1 hour", "2.5 hours")
# custom:
#   code: GK-LIB-UTIL-006
hours_text(h) := "1 hour" if h == 1

hours_text(h) := sprintf("%s hours", [num(h)]) if h != 1
