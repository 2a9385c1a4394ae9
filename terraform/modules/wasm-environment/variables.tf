variable "name" {
  description = "Environment name; also its Nomad namespace (dev, staging, prod, ...)."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,62}$", var.name)) && var.name != "default"
    error_message = "name must be a lowercase Nomad namespace name (a-z, 0-9, -; at most 63), and not \"default\"."
  }
}

variable "description" {
  description = "Namespace description."
  type        = string
  default     = ""
}

variable "signature_mode" {
  description = "Signature mode the environment's namespace must run under on every client (off | warn | enforce). Feed signature_rule to the client module's signatures.namespaces."
  type        = string
  default     = "enforce"
  validation {
    condition     = contains(["off", "warn", "enforce"], var.signature_mode)
    error_message = "signature_mode must be \"off\", \"warn\" or \"enforce\"."
  }
}

variable "public_keys" {
  description = "PEM public keys (cosign.pub) whose signatures the environment accepts; null inherits the node's default keys."
  type        = list(string)
  default     = null
  validation {
    condition     = var.public_keys == null ? true : alltrue([for k in var.public_keys : can(regex("-----BEGIN PUBLIC KEY-----", k))])
    error_message = "public_keys must be PEM text (-----BEGIN PUBLIC KEY-----)."
  }
}

variable "policy" {
  description = "The environment's admission policy, shipped to every client through the policy_rule output (give it to the client module's policy.namespaces[<name>]): a Rego policy compiled with `opa build -t wasm` (bundle_url + bundle_sha256, which the client's bootstrap downloads and checks; or bundle, a path on the nodes), evaluated in addition to the node's; its mode (off | warn | enforce); its query; and whether the namespace's components need verified SLSA provenance or an SBOM. null: the node's policy applies unchanged."
  type = object({
    mode               = optional(string, "enforce")
    bundle             = optional(string)
    bundle_url         = optional(string)
    bundle_sha256      = optional(string)
    query              = optional(string)
    require_provenance = optional(bool, false)
    require_sbom       = optional(bool, false)
  })
  default = null
  validation {
    condition     = var.policy == null ? true : contains(["off", "warn", "enforce"], var.policy.mode)
    error_message = "policy.mode must be \"off\", \"warn\" or \"enforce\"."
  }
  validation {
    condition = var.policy == null ? true : (
      !(var.policy.bundle != null && var.policy.bundle_url != null) &&
      ((var.policy.bundle_url == null) == (var.policy.bundle_sha256 == null)) &&
      (var.policy.bundle_sha256 == null ? true : can(regex("^[0-9a-f]{64}$", var.policy.bundle_sha256))) &&
      (var.policy.bundle == null ? true : startswith(var.policy.bundle, "/")) &&
      (var.policy.bundle_url == null ? true : can(regex("^(https|file)://", var.policy.bundle_url)))
    )
    error_message = "policy takes either bundle (an absolute path on the nodes) or bundle_url (https:// or file://) with bundle_sha256 (64 hex digits)."
  }
  validation {
    condition     = var.policy == null ? true : var.policy.mode == "off" || var.policy.bundle != null || var.policy.bundle_url != null || var.policy.require_provenance || var.policy.require_sbom
    error_message = "A policy mode of warn or enforce needs a bundle or a requirement (require_provenance, require_sbom)."
  }
}

variable "enabled_task_drivers" {
  description = "Task drivers jobs in the namespace may use (namespace capabilities)."
  type        = list(string)
  default     = ["wasm", "docker", "exec", "raw_exec"]
  validation {
    condition     = length(var.enabled_task_drivers) > 0
    error_message = "enabled_task_drivers must name at least one driver."
  }
}

variable "node_class" {
  description = "node_class of the mixed clients the environment's Wasm services run on (the client module's node_class output); null: any node with the wasm driver."
  type        = string
  default     = null
}

variable "datacenters" {
  description = "Datacenters the environment's services run in."
  type        = list(string)
  default     = ["*"]
}

variable "services" {
  description = "Wasm services of the environment, by name: the pinned component (oci://…@sha256:…, e.g. data.nomadwasm_component.x.pinned_reference), count (1), cpu (100), memory (64), http_instance (\"shared\"), grants = { env, pass_env, allow_http, mounts = [{ source, destination, readonly }], memory_max }, Vault secrets (secrets = { <name> = { path, field, version } }, read by the driver with a token of the environment's Vault policy) with the keys the component may read (config_keys, secret_env) and plain config_values, Spin key-value stores on Consul KV by label (key_value_stores = { <label> = { consul_prefix, token_secret } }: token_secret, optional, a key of secrets holding the store's Consul token; without it the plugin's Consul token, whose key_prefix rules consul_policy lists), the services it may call by name (allow_services: \"payments\" / \"payments.service.consul\" in Consul, \"billing.service.nomad\" in Nomad), and its service registration (service_tags, check_path \"/\", register_with \"nomad\" | \"consul\"). An attribute or grant not in this list fails the plan, named."
  # `any`, not an object type: converting to an object type silently drops
  # attributes the type does not declare, so a misspelt grant (`alow_http`)
  # would vanish from the plan instead of failing it. The validations below
  # name every unknown attribute; main.tf fills in the defaults.
  type    = any
  default = {}
  validation {
    condition     = can(keys(var.services)) && alltrue([for s in values(var.services) : can(keys(s))])
    error_message = "services must be a map of service name to an object { component = \"oci://…@sha256:…\", … }."
  }
  validation {
    condition     = alltrue([for s in values(var.services) : length(setsubtract(try(keys(s), []), ["component", "count", "cpu", "memory", "http_instance", "grants", "secrets", "key_value_stores", "config_keys", "config_values", "secret_env", "allow_services", "service_tags", "check_path", "register_with"])) == 0])
    error_message = "Unknown service attribute: ${join(", ", flatten([for name, s in var.services : [for a in setsubtract(try(keys(s), []), ["component", "count", "cpu", "memory", "http_instance", "grants", "secrets", "key_value_stores", "config_keys", "config_values", "secret_env", "allow_services", "service_tags", "check_path", "register_with"]) : "services[\"${name}\"].${a}"]]))}. A service takes component, count, cpu, memory, http_instance, grants, secrets, key_value_stores, config_keys, config_values, secret_env, allow_services, service_tags, check_path, register_with."
  }
  validation {
    condition     = alltrue([for s in values(var.services) : length(setsubtract(try(keys(s.grants), []), ["env", "pass_env", "allow_http", "mounts", "memory_max"])) == 0])
    error_message = "Unknown grant: ${join(", ", flatten([for name, s in var.services : [for g in setsubtract(try(keys(s.grants), []), ["env", "pass_env", "allow_http", "mounts", "memory_max"]) : "services[\"${name}\"].grants.${g}"]]))}. The driver's grants are env, pass_env, allow_http, mounts, memory_max (deny by default: a grant it does not know would grant nothing)."
  }
  validation {
    condition     = alltrue(flatten([for s in values(var.services) : [for m in try(tolist(s.grants.mounts), []) : can(m.source) && can(m.destination) && length(setsubtract(try(keys(m), []), ["source", "destination", "readonly"])) == 0]]))
    error_message = "services[*].grants.mounts entries are { source, destination, readonly }: ${join(", ", flatten([for name, s in var.services : [for i, m in try(tolist(s.grants.mounts), []) : "services[\"${name}\"].grants.mounts[${i}] has ${jsonencode(try(sort(keys(m)), m))}" if !(can(m.source) && can(m.destination) && length(setsubtract(try(keys(m), []), ["source", "destination", "readonly"])) == 0)]]))}."
  }
  validation {
    condition     = alltrue(flatten([for s in values(var.services) : [for secret in values(try(s.secrets, null) == null ? {} : s.secrets) : can(secret.path) && length(setsubtract(try(keys(secret), []), ["path", "field", "version"])) == 0]]))
    error_message = "services[*].secrets entries are { path, field, version }: ${join(", ", flatten([for name, s in var.services : [for k, secret in(try(s.secrets, null) == null ? {} : s.secrets) : "services[\"${name}\"].secrets[\"${k}\"] has ${jsonencode(try(sort(keys(secret)), secret))}" if !(can(secret.path) && length(setsubtract(try(keys(secret), []), ["path", "field", "version"])) == 0)]]))}."
  }
  validation {
    condition     = alltrue(flatten([for s in values(var.services) : [for store in values(try(s.key_value_stores, null) == null ? {} : s.key_value_stores) : can(tostring(store.consul_prefix)) && length(setsubtract(try(keys(store), []), ["consul_prefix", "token_secret"])) == 0]]))
    error_message = "services[*].key_value_stores entries are { consul_prefix, token_secret }: ${join(", ", flatten([for name, s in var.services : [for label, store in(try(s.key_value_stores, null) == null ? {} : s.key_value_stores) : "services[\"${name}\"].key_value_stores[\"${label}\"] has ${jsonencode(try(sort(keys(store)), store))}" if !(can(tostring(store.consul_prefix)) && length(setsubtract(try(keys(store), []), ["consul_prefix", "token_secret"])) == 0)]]))}."
  }
  validation {
    # The driver's rules (src/config/key-value-config.ts): label characters; a prefix, outer slashes trimmed, with no empty, "." or ".." segment.
    condition     = alltrue(flatten([for s in values(var.services) : [for label, store in(try(s.key_value_stores, null) == null ? {} : s.key_value_stores) : can(regex("^[A-Za-z0-9_.-]+$", label)) && alltrue([for seg in split("/", trim(try(tostring(store.consul_prefix), ""), "/")) : !contains(["", ".", ".."], seg)])]]))
    error_message = "Invalid key-value store: ${join(", ", flatten([for name, s in var.services : [for label, store in(try(s.key_value_stores, null) == null ? {} : s.key_value_stores) : "services[\"${name}\"].key_value_stores[\"${label}\"]" if !(can(regex("^[A-Za-z0-9_.-]+$", label)) && alltrue([for seg in split("/", trim(try(tostring(store.consul_prefix), ""), "/")) : !contains(["", ".", ".."], seg)]))]]))}. A store label holds letters, digits, \".\", \"_\" and \"-\"; consul_prefix is a Consul KV prefix such as apps/cart/default (not empty; no \"//\", \".\" or \"..\" segments)."
  }
  validation {
    condition     = alltrue([for s in values(var.services) : can(regex("^oci://[^@]+@sha256:[0-9a-f]{64}$", s.component))])
    error_message = "services[*].component must pin a digest: oci://registry/repository@sha256:<64 hex> (resolve tags with data.nomadwasm_component)."
  }
  validation {
    condition     = alltrue([for s in values(var.services) : contains(["nomad", "consul"], try(coalesce(s.register_with, "nomad"), "nomad"))])
    error_message = "services[*].register_with must be \"nomad\" or \"consul\"."
  }
  validation {
    condition     = alltrue(flatten([for s in values(var.services) : [for g in try(coalesce(s.allow_services, []), []) : can(regex("^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.service\\.(consul|nomad))?$", g))]]))
    error_message = "services[*].allow_services entries must be \"name\" or \"name.service.consul\" (Consul) or \"name.service.nomad\" (Nomad)."
  }
  validation {
    condition     = alltrue([for s in values(var.services) : length(try(coalesce(s.secrets, {}), {})) == 0 || length(try(coalesce(s.config_keys, []), [])) + length(try(coalesce(s.secret_env, {}), {})) + length([for store in values(try(coalesce(s.key_value_stores, {}), {})) : store if try(store.token_secret, null) != null]) > 0])
    error_message = "services[*].secrets need config_keys (or secret_env, or a key_value_stores token_secret) naming the keys used: deny by default, the driver refuses a secret nothing grants."
  }
}

variable "jobs" {
  description = "Other Nomad jobs of the environment (container, exec, raw_exec tasks) as HCL2 jobspecs, by name. Each jobspec gets the HCL2 variable `namespace` (declare `variable \"namespace\" {}` and set `namespace = var.namespace`)."
  type        = map(string)
  default     = {}
}

variable "deployment_timeout" {
  description = "How long apply waits for each service's deployment to be healthy."
  type        = string
  default     = "5m"
}
