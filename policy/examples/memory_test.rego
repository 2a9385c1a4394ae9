package wasm.admission_test

import rego.v1

import data.wasm.admission.deny

test_over_the_namespace_ceiling_denied if {
	inp := object.union(base, {"grants": object.union(grants, {"memory_max_mb": 512})})
	some d in deny with input as inp
	d.code == "MEMORY_OVER_CEILING"
	contains(d.msg, "512 MiB")
}

test_same_memory_allowed_in_dev if {
	inp := object.union(base, {"namespace": "dev", "grants": object.union(grants, {"memory_max_mb": 512})})
	count(deny) == 0 with input as inp
}

test_no_ceiling_denied_where_one_is_required if {
	inp := object.union(base, {"grants": object.union(grants, {"memory_max_mb": null})})
	"MEMORY_UNBOUNDED" in codes(deny) with input as inp
}
