# What the driver evaluates: policy { query = "wasm/admission/decision" } (the
# default). `deny` messages refuse the start under mode "enforce"; `warn`
# messages become task events. A message is a string or {msg, code, path}.
package wasm.admission

import rego.v1

decision := {"deny": deny, "warn": warn}
