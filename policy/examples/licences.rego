# No copyleft licences in the SBOM: a component whose attested SBOM names a
# package under a licence of data.wasm.copyleft (SPDX identifiers, matched
# with or without -only / -or-later) is denied. A package offered under
# "X OR Y" passes when one alternative is not copyleft. No SBOM, no check
# (require_sbom, or the provenance rule's pattern, makes one mandatory).
package wasm.admission

import rego.v1

deny contains {"code": "COPYLEFT_LICENCE", "path": "sbom", "msg": msg} if {
	some sbom in input.sbom
	some component in sbom.components
	some expression in component.licenses
	copyleft_only(expression)
	msg := sprintf("SBOM package %s %s is licensed %s (copyleft)", [component.name, object.get(component, "version", ""), expression])
}

# Every alternative of the expression names a copyleft licence.
copyleft_only(expression) if {
	alternatives := split(expression, " OR ")
	every alternative in alternatives {
		some id in licence_ids(alternative)
		is_copyleft(id)
	}
}

licence_ids(text) := {trim(id, "() ") | some id in split(replace(replace(text, "(", " "), ")", " "), " "); trim(id, " ") != ""; not id in {"AND", "WITH"}}

is_copyleft(id) if {
	some base in data.wasm.copyleft
	startswith(id, base)
}
