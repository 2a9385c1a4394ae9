package wasm.admission_test

import rego.v1

import data.wasm.admission.deny

sbom_with(licences) := {
	"predicate_type": "https://cyclonedx.org/bom",
	"format": "cyclonedx",
	"licenses": licences,
	"components": [{"name": "libfoo", "version": "1.2.3", "purl": "pkg:cargo/libfoo@1.2.3", "licenses": licences}],
	"truncated": false,
	"signer": key_a,
}

test_gpl_denied_naming_the_package if {
	some d in deny with input as object.union(base, {"sbom": [sbom_with(["GPL-3.0-only"])]})
	d.code == "COPYLEFT_LICENCE"
	contains(d.msg, "libfoo 1.2.3")
	contains(d.msg, "GPL-3.0-only")
}

test_agpl_in_an_and_expression_denied if {
	"COPYLEFT_LICENCE" in codes(deny) with input as object.union(base, {"sbom": [sbom_with(["MIT AND AGPL-3.0-or-later"])]})
}

test_dual_licence_with_a_permissive_choice_admitted if {
	count(deny) == 0 with input as object.union(base, {"sbom": [sbom_with(["(MIT OR GPL-2.0-only)"])]})
}

test_permissive_admitted if {
	count(deny) == 0 with input as object.union(base, {"sbom": [sbom_with(["Apache-2.0 WITH LLVM-exception", "MIT"])]})
}
