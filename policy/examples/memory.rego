# Memory ceilings per namespace (data.wasm.namespaces[ns].max_memory_mb): a
# task must declare a ceiling (resources { memory / memory_max }) no larger.
package wasm.admission

import rego.v1

deny contains {"code": "MEMORY_OVER_CEILING", "path": "grants.memory_max_mb", "msg": msg} if {
	ceiling := namespace_rules.max_memory_mb
	input.grants.memory_max_mb > ceiling
	msg := sprintf("the task asks for %d MiB of memory; namespace %s allows at most %d MiB", [input.grants.memory_max_mb, input.namespace, ceiling])
}

deny contains {"code": "MEMORY_UNBOUNDED", "path": "grants.memory_max_mb", "msg": msg} if {
	namespace_rules.max_memory_mb
	input.grants.memory_max_mb == null
	msg := sprintf("namespace %s needs a memory ceiling (resources { memory_max })", [input.namespace])
}
