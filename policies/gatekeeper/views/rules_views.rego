# METADATA
# title: Bundle views of the rules packages
# description: |
#   Values of rules packages (gatekeeper.rules.*) computed from data alone, once per bundle,
#   served as data.views like the views of views.rego (same package). Each calls a function
#   of data only kept in the rules package that reads the view; that package computes the
#   value itself when the view has no entry.
package gatekeeper.views

import rego.v1

# METADATA
# title: What breaking the managed baseline costs, per scope where it does
# custom:
#   code: GK-VIEW-003
reprovisioning := {key: effect |
	some customer_id, environment_id, access_id
	data.customers[customer_id].environments[environment_id]
	data.catalog.access_levels[access_id]
	key = data.gatekeeper.lib.context.scope_key(customer_id, environment_id, access_id)

	# `some v in [...]` binds v (and skips a scope where the function is undefined).
	some effect in [data.gatekeeper.rules.reprovisioning.effect(customer_id, environment_id, access_id)]
}

# METADATA
# title: SLA figures of the downtime, per scope with downtime
# custom:
#   code: GK-VIEW-004
sla := {key: effect |
	some customer_id, environment_id, access_id
	data.customers[customer_id].environments[environment_id]
	data.catalog.access_levels[access_id]
	key = data.gatekeeper.lib.context.scope_key(customer_id, environment_id, access_id)

	# `some v in [...]` binds v (and skips a scope where the function is undefined).
	some effect in [data.gatekeeper.rules.sla.effect(customer_id, environment_id, access_id)]
}

# METADATA
# title: What data protection says, per scope
# description: |
#   data.views.data_protection["customer|environment|access"]: the texts of an export, of
#   reach and of reach in an emergency (rules.data_protection.texts).
# custom:
#   code: GK-VIEW-006
data_protection := {key: texts |
	some customer_id, environment_id, access_id
	data.customers[customer_id].environments[environment_id]
	data.catalog.access_levels[access_id]
	key = data.gatekeeper.lib.context.scope_key(customer_id, environment_id, access_id)

	# `some v in [...]` binds v (and skips a scope where the function is undefined).
	some texts in [data.gatekeeper.rules.data_protection.texts(customer_id, environment_id, access_id)]
}
