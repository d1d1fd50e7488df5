package gatekeeper.lib.util_test

import rego.v1

import data.gatekeeper.lib.util

test_max_and_min_compare_numbers_not_text if {
	util.max_of([2.5, 10, 3]) == 10
	util.min_of([2.5, 10, 3]) == 2.5
	util.max_of({1, 3, 2}) == 3
}

test_num_prints_at_most_two_decimals if {
	util.num(24) == "24"
	util.num(99.9) == "99.9"
	util.num(96.666) == "96.67"
	util.num(-1397) == "-1397"
	util.num(0.05) == "0.05"
	util.num(8.0) == "8"
}

test_hours_text if {
	util.hours_text(1) == "1 hour"
	util.hours_text(24) == "24 hours"
	util.hours_text(0.5) == "0.5 hours"
}

test_money_has_two_decimals_and_its_currency if {
	util.money(22.5, "EUR") == "EUR 22.50"
	util.money(1200, "USD") == "USD 1200.00"
	util.money(0.005, "EUR") == "EUR 0.01"
	util.money(96.666, "EUR") == "EUR 96.67"
	util.money(0, "EUR") == "EUR 0.00"
}

test_and_list_joins_texts_in_words if {
	util.and_list(["a"]) == "a"
	util.and_list(["a", "b"]) == "a and b"
	util.and_list(["a", "b", "c"]) == "a, b and c"
	not util.and_list([])
}
