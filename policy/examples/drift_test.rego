package wasm.admission_test

import rego.v1

import data.wasm.admission.deny
import data.wasm.admission.warn

more_hosts := object.union(base, {
	"job": object.union(base.job, {"version": 2}),
	"grants": object.union(grants, {"allow_http": ["api.example.com", "payments.internal:8443"]}),
	"previous": object.union(base.previous, {"version": 1}),
	"drift": {"status": "compared", "reason": null, "added": {"allow_http": ["payments.internal:8443"]}, "removed": {}},
})

test_new_grant_same_signer_denied if {
	some d in deny with input as more_hosts
	d.code == "NEW_GRANT_SAME_SIGNER"
	contains(d.msg, "allow_http payments.internal:8443")
	contains(d.msg, "version 2")
}

test_new_grant_new_signer_admitted if {
	inp := object.union(more_hosts, {"signature": object.union(base.signature, {"signer": key_b})})
	count(deny) == 0 with input as inp
}

test_new_grant_unsigned_denied if {
	inp := object.union(more_hosts, {"signature": {"mode": "warn", "status": "unverified", "signer": null, "error": {"code": "SIGNATURE_MISSING", "message": "no signature"}}})
	"NEW_GRANT_UNSIGNED" in codes(deny) with input as inp
}

test_more_memory_is_a_new_grant if {
	inp := object.union(base, {"grants": object.union(grants, {"memory_max_mb": 128})})
	"NEW_GRANT_SAME_SIGNER" in codes(deny) with input as inp
}

test_removed_grants_need_no_new_signer if {
	inp := object.union(base, {"drift": {"status": "compared", "reason": null, "added": {}, "removed": {"allow_http": ["api.example.com"]}}})
	count(deny) == 0 with input as inp
}

test_unknown_previous_signer_warns if {
	inp := object.union(more_hosts, {"previous": object.union(more_hosts.previous, {"signer": null})})
	count(deny) == 0 with input as inp
	"PREVIOUS_SIGNER_UNKNOWN" in codes(warn) with input as inp
}

test_unavailable_history_warns if {
	inp := object.union(base, {"previous": null, "drift": {"status": "unavailable", "reason": "Nomad at http://127.0.0.1:4646: connection refused", "added": {}, "removed": {}}})
	some w in warn with input as inp
	w.code == "DRIFT_UNKNOWN"
	contains(w.msg, "connection refused")
}
