package wasm.admission_test

import rego.v1

import data.wasm.admission.deny

test_sockets_import_denied_in_prod if {
	inp := object.union(base, {"component": object.union(base.component, {"imports": ["wasi:sockets/tcp@0.2.0"]})})
	"SOCKETS_IMPORTED" in codes(deny) with input as inp
}

test_sockets_import_allowed_in_dev if {
	inp := object.union(base, {"namespace": "dev", "component": object.union(base.component, {"imports": ["wasi:sockets/tcp@0.2.0"]})})
	not "SOCKETS_IMPORTED" in codes(deny) with input as inp
}

test_unlisted_host_denied_with_its_name if {
	inp := object.union(base, {"grants": object.union(grants, {"allow_http": ["api.example.com", "evil.example.net"]})})
	some d in deny with input as inp
	d.code == "HOST_NOT_LISTED"
	contains(d.msg, "evil.example.net")
}

test_listed_host_with_port_admitted if {
	inp := object.union(base, {"grants": object.union(grants, {"allow_http": ["payments.internal:8443"]})})
	count(deny) == 0 with input as inp
}

test_unlisted_service_denied if {
	inp := object.union(base, {"grants": object.union(grants, {"allow_services": ["admin.service.consul"]})})
	"SERVICE_NOT_LISTED" in codes(deny) with input as inp
}

test_namespace_without_rules_allows_any_host if {
	inp := object.union(base, {"namespace": "batch", "grants": object.union(grants, {"allow_http": ["anywhere.example.org"]})})
	count(deny) == 0 with input as inp
}
