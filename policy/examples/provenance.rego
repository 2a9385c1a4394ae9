# Provenance from a named builder and source repository, where the namespace
# asks for it (data.wasm.namespaces[ns].provenance). The driver puts only
# verified SLSA provenance in input.provenance: signed by a key or identity
# the node trusts, naming this component's digest.
package wasm.admission

import rego.v1

deny contains {"code": "PROVENANCE_REQUIRED", "path": "provenance", "msg": msg} if {
	namespace_rules.provenance
	count(input.provenance) == 0
	msg := sprintf("namespace %s runs only components with verified SLSA provenance; none is attested for %s", [input.namespace, input.component.digest])
}

deny contains {"code": "PROVENANCE_NOT_TRUSTED", "path": "provenance", "msg": msg} if {
	required := namespace_rules.provenance
	count(input.provenance) > 0
	not some_trusted_provenance(required)
	builders := concat(", ", {sprintf("%s from %s", [object.get(p, "builder_id", "?"), object.get(p.source, "repository", "?")]) | some p in input.provenance})
	msg := sprintf("provenance must come from builder %s and a repository in [%s]; found %s", [concat(" or ", required.builders), concat(", ", required.repositories), builders])
}

some_trusted_provenance(required) if {
	some p in input.provenance
	p.builder_id in required.builders
	p.source.repository in required.repositories
}
