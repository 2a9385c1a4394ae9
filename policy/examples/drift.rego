# No new grant without a new signer identity: when a job version grants its
# component more than the version before (more hosts, mounts, env, services,
# secrets, config keys, memory), the component must be signed by an
# identity other than the one that signed the previous version's: a grant
# increase needs someone else's signature, not only the author's. Applies
# where data.wasm.namespaces[ns].new_grants_need_new_signer is true.
package wasm.admission

import rego.v1

capability_grants := {"env", "mounts", "allow_http", "allow_services", "secrets", "config_keys", "config_values", "secret_env"}

added_grants := {sprintf("%s %s", [grant, concat(",", entries)]) |
	some grant, entries in input.drift.added
	grant in capability_grants
} | {sprintf("memory %d->%d MiB", [input.previous.grants.memory_max_mb, input.grants.memory_max_mb]) |
	input.previous.grants.memory_max_mb != null
	input.grants.memory_max_mb > input.previous.grants.memory_max_mb
}

deny contains {"code": "NEW_GRANT_SAME_SIGNER", "path": "drift.added", "msg": msg} if {
	namespace_rules.new_grants_need_new_signer
	count(added_grants) > 0
	input.signature.signer != null
	input.signature.signer == input.previous.signer
	msg := sprintf("version %d adds %s but is signed by the same identity as version %d (%s)", [input.job.version, concat("; ", added_grants), input.previous.version, signer_text(input.signature.signer)])
}

deny contains {"code": "NEW_GRANT_UNSIGNED", "path": "signature", "msg": msg} if {
	namespace_rules.new_grants_need_new_signer
	count(added_grants) > 0
	input.signature.signer == null
	msg := sprintf("version %d adds %s but the component is not signed", [input.job.version, concat("; ", added_grants)])
}

warn contains {"code": "DRIFT_UNKNOWN", "path": "drift", "msg": msg} if {
	namespace_rules.new_grants_need_new_signer
	input.drift.status == "unavailable"
	msg := sprintf("could not compare with the job's previous version: %s", [input.drift.reason])
}

warn contains {"code": "PREVIOUS_SIGNER_UNKNOWN", "path": "previous.signer", "msg": msg} if {
	namespace_rules.new_grants_need_new_signer
	count(added_grants) > 0
	input.previous.signer == null
	input.signature.signer != null
	msg := sprintf("version %d adds %s; who signed version %d is unknown on this node", [input.job.version, concat("; ", added_grants), input.previous.version])
}

signer_text(signer) := sprintf("key %s", [signer.key_fingerprint]) if signer.kind == "key"

signer_text(signer) := sprintf("%s from %s", [signer.subject, signer.issuer]) if signer.kind == "certificate"
