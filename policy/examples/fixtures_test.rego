# Inputs shaped like the driver's (policy/input.schema.json), shared by the
# example policies' tests. `base` is an admitted prod start; each test
# changes what it is about with object.union.
package wasm.admission_test

import rego.v1

import data.wasm.admission.deny
import data.wasm.admission.warn

key_a := {"kind": "key", "key_fingerprint": "sha256:aaaa"}

key_b := {"kind": "key", "key_fingerprint": "sha256:bbbb"}

grants := {
	"env": ["GREETING"],
	"mounts": [],
	"allow_http": ["api.example.com"],
	"allow_services": [],
	"secrets": [],
	"config_keys": [],
	"config_values": [],
	"secret_env": [],
	"sockets": false,
	"isolation": "process",
	"memory_max_mb": 64,
	"http_instance": "shared",
	"port": "http",
	"args": ["app.wasm"],
}

provenance := {
	"predicate_type": "https://slsa.dev/provenance/v1",
	"builder_id": "https://github.com/actions/runner/github-hosted",
	"build_type": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
	"source": {"repository": "https://github.com/acme/hello", "ref": "refs/tags/v1", "commit": "0123456789abcdef"},
	"signer": key_a,
}

base := {
	"version": "nomad-wasm.admission/v1",
	"namespace": "prod",
	"job": {"id": "web", "name": "web", "parent_id": null, "version": 1},
	"group": "web",
	"task": "server",
	"alloc_id": "a1",
	"node": {"id": "n1", "name": "node-1", "datacenter": "dc1", "region": "global"},
	"component": {
		"reference": "oci://registry.example.com/acme/hello@sha256:1111",
		"source": "oci",
		"digest": "sha256:2222",
		"manifest_digest": "sha256:1111",
		"world": "http",
		"imports": ["wasi:io/streams@0.2.0", "wasi:http/types@0.2.0"],
		"exports": ["wasi:http/incoming-handler@0.2.0"],
		"producers": [],
		"metadata": {},
	},
	"grants": grants,
	"signature": {"mode": "enforce", "status": "verified", "signer": key_a, "error": null},
	"provenance": [provenance],
	"sbom": [],
	"attestations": {"rejected": [], "other_types": []},
	"previous": {"version": 0, "component": "oci://registry.example.com/acme/hello@sha256:1111", "grants": grants, "signer": key_a},
	"drift": {"status": "compared", "reason": null, "added": {}, "removed": {}},
}

codes(decision) := {d.code | some d in decision}

test_base_is_admitted if {
	count(deny) == 0 with input as base
	count(warn) == 0 with input as base
}
