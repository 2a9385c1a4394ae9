# No sockets, and outbound HTTP only to listed hosts, in the namespaces that
# say so (data.wasm.namespaces[ns].allowed_hosts). This driver never grants
# sockets; a component that imports wasi:sockets is refused here anyway, so
# the rule holds even for components meant for another host.
package wasm.admission

import rego.v1

namespace_rules := object.get(data.wasm.namespaces, input.namespace, {})

deny contains {"code": "SOCKETS_IMPORTED", "path": "component.imports", "msg": msg} if {
	namespace_rules.no_sockets
	some name in input.component.imports
	startswith(name, "wasi:sockets/")
	msg := sprintf("the component imports %s; sockets are not allowed in namespace %s", [name, input.namespace])
}

deny contains {"code": "HOST_NOT_LISTED", "path": "grants.allow_http", "msg": msg} if {
	allowed := namespace_rules.allowed_hosts
	some host in input.grants.allow_http
	not host in allowed
	msg := sprintf("allow_http lists %s, which namespace %s does not allow (allowed: %s)", [host, input.namespace, concat(", ", allowed)])
}

deny contains {"code": "SERVICE_NOT_LISTED", "path": "grants.allow_services", "msg": msg} if {
	allowed := namespace_rules.allowed_services
	some service in input.grants.allow_services
	not service in allowed
	msg := sprintf("allow_services lists %s, which namespace %s does not allow", [service, input.namespace])
}
