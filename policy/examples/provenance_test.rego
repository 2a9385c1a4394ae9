package wasm.admission_test

import rego.v1

import data.wasm.admission.deny

test_missing_provenance_denied_in_prod if {
	"PROVENANCE_REQUIRED" in codes(deny) with input as object.union(base, {"provenance": []})
}

test_missing_provenance_fine_in_dev if {
	count(deny) == 0 with input as object.union(base, {"namespace": "dev", "provenance": []})
}

test_other_builder_denied if {
	other := object.union(provenance, {"builder_id": "https://ci.example.net/runner"})
	some d in deny with input as object.union(base, {"provenance": [other]})
	d.code == "PROVENANCE_NOT_TRUSTED"
	contains(d.msg, "https://ci.example.net/runner")
}

test_other_repository_denied if {
	other := object.union(provenance, {"source": {"repository": "https://github.com/mallory/hello", "ref": null, "commit": null}})
	"PROVENANCE_NOT_TRUSTED" in codes(deny) with input as object.union(base, {"provenance": [other]})
}

test_one_trusted_provenance_among_several_is_enough if {
	other := object.union(provenance, {"builder_id": "https://ci.example.net/runner"})
	count(deny) == 0 with input as object.union(base, {"provenance": [other, provenance]})
}
