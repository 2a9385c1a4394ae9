# ---- Cluster membership ---------------------------------------------------

variable "servers" {
  description = "Nomad server RPC addresses the client joins (host:port, usually port 4647)."
  type        = list(string)
  validation {
    condition     = length(var.servers) > 0 && alltrue([for s in var.servers : can(regex("^[A-Za-z0-9.\\-]+:[0-9]{1,5}$|^\\[[0-9a-fA-F:]+\\]:[0-9]{1,5}$", s))])
    error_message = "servers must list at least one host:port (e.g. \"10.0.0.10:4647\"), without a scheme."
  }
}

variable "datacenter" {
  description = "Nomad datacenter of the client."
  type        = string
  default     = "dc1"
  validation {
    condition     = can(regex("^[A-Za-z0-9_-]+$", var.datacenter))
    error_message = "datacenter may contain letters, digits, - and _ only."
  }
}

variable "region" {
  description = "Nomad region of the client."
  type        = string
  default     = "global"
}

variable "node_class" {
  description = "node_class of the client: jobs select mixed Wasm + container nodes with it (nomadwasm_service.node_class)."
  type        = string
  default     = "wasm"
  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+$", var.node_class))
    error_message = "node_class may contain letters, digits, _ . - only."
  }
}

variable "node_name" {
  description = "Node name; null means the machine's hostname."
  type        = string
  default     = null
}

variable "meta" {
  description = "Client meta (node attributes $${meta.<key>} jobs can constrain on)."
  type        = map(string)
  default     = {}
}

variable "bind_addr" {
  description = "Address the client's HTTP API binds to."
  type        = string
  default     = "0.0.0.0"
}

variable "advertise_addr" {
  description = "Address the client advertises for its HTTP API; null: Nomad's default (the first private address). Required when bind_addr is a loopback address."
  type        = string
  default     = null
}

variable "http_port" {
  description = "Port of the client's HTTP API."
  type        = number
  default     = 4646
  validation {
    condition     = var.http_port >= 1 && var.http_port <= 65535 && floor(var.http_port) == var.http_port
    error_message = "http_port must be a port number (1-65535)."
  }
}

variable "network_interface" {
  description = "Interface whose address Nomad fingerprints for task ports; null lets Nomad choose."
  type        = string
  default     = null
}

# ---- What the bootstrap installs (pinned, checksum-checked) ---------------

variable "nomad" {
  description = "The Nomad release to install: version, the URL of its linux zip (releases.hashicorp.com or your mirror) and that zip's sha256 (from its SHA256SUMS). Nomad 1.6.x is the last MPL-2.0 line."
  type = object({
    version = string
    url     = string
    sha256  = string
  })
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.nomad.version)) && can(regex("^[0-9a-f]{64}$", var.nomad.sha256)) && can(regex("^(https?|file)://", var.nomad.url)) && endswith(var.nomad.url, ".zip")
    error_message = "nomad needs version X.Y.Z, an http(s):// or file:// url of the .zip, and its sha256 as 64 lowercase hex digits."
  }
}

variable "nodejs" {
  description = "The Node.js (>= 22) release the driver runs on: version, URL of the linux-x64 .tar.xz or .tar.gz (nodejs.org/dist or a mirror) and its sha256 (from SHASUMS256.txt)."
  type = object({
    version = string
    url     = string
    sha256  = string
  })
  validation {
    condition     = can(regex("^2[2-9]\\.|^[3-9][0-9]\\.", var.nodejs.version)) && can(regex("^[0-9a-f]{64}$", var.nodejs.sha256)) && can(regex("^(https?|file)://.*\\.tar\\.(xz|gz)$", var.nodejs.url))
    error_message = "nodejs needs version >= 22, an http(s):// or file:// url ending in .tar.xz or .tar.gz, and its sha256 as 64 lowercase hex digits."
  }
}

variable "driver" {
  description = "The nomad-driver-wasm release tarball (scripts/pack-driver.sh): version, URL and sha256."
  type = object({
    version = string
    url     = string
    sha256  = string
  })
  validation {
    condition     = can(regex("^[0-9a-f]{64}$", var.driver.sha256)) && can(regex("^(https?|file)://.*\\.tar\\.gz$", var.driver.url))
    error_message = "driver needs an http(s):// or file:// url of the .tar.gz and its sha256 as 64 lowercase hex digits."
  }
}

variable "install_dir" {
  description = "Where Nomad, Node.js and the driver are installed (bin/, node/, driver/, plugins/)."
  type        = string
  default     = "/opt/nomad-driver-wasm"
  validation {
    condition     = startswith(var.install_dir, "/")
    error_message = "install_dir must be an absolute path."
  }
}

variable "config_dir" {
  description = "Directory of the Nomad client configuration (client.hcl is written there)."
  type        = string
  default     = "/etc/nomad.d"
  validation {
    condition     = startswith(var.config_dir, "/")
    error_message = "config_dir must be an absolute path."
  }
}

variable "data_dir" {
  description = "Nomad's data_dir."
  type        = string
  default     = "/var/lib/nomad"
  validation {
    condition     = startswith(var.data_dir, "/")
    error_message = "data_dir must be an absolute path."
  }
}

variable "service_manager" {
  description = "How the bootstrap runs Nomad: systemd (a nomad-client unit), direct (a background process with a pid file, for machines and containers without systemd), or auto (systemd when it is PID 1)."
  type        = string
  default     = "auto"
  validation {
    condition     = contains(["auto", "systemd", "direct"], var.service_manager)
    error_message = "service_manager must be \"auto\", \"systemd\" or \"direct\"."
  }
}

# ---- Drivers ---------------------------------------------------------------

variable "container_drivers" {
  description = "Drivers configured beside wasm: docker (needs a Docker engine on the machine), exec (isolated, needs root and cgroups), raw_exec (unisolated: off by default)."
  type = object({
    docker   = optional(bool, true)
    exec     = optional(bool, true)
    raw_exec = optional(bool, false)
  })
  default = {}
}

variable "wasm" {
  description = "The wasm plugin's node settings (README \"Install on a Nomad client\", \"What a component can see\" and \"Pooled tier\"): cache, component size limit, the grant ceilings jobs may not exceed (allow_http = null: any host jobs list; [] none), and isolation (\"process\", or the opt-in \"pooled\" with pool_max_tasks)."
  type = object({
    cache_dir               = optional(string, "/var/lib/nomad-driver-wasm/cache")
    cache_max_mb            = optional(number, 4096)
    max_component_mb        = optional(number, 256)
    max_memory_mb           = optional(number)
    allow_http              = optional(list(string))
    allow_mounts            = optional(bool, true)
    allow_read_write_mounts = optional(bool, true)
    isolation               = optional(string, "process")
    pool_max_tasks          = optional(number, 32)
  })
  default = {}
  validation {
    condition     = startswith(var.wasm.cache_dir, "/") && var.wasm.cache_max_mb > 0 && var.wasm.max_component_mb > 0 && (var.wasm.max_memory_mb == null ? true : var.wasm.max_memory_mb > 0)
    error_message = "wasm.cache_dir must be absolute; cache_max_mb, max_component_mb and max_memory_mb must be positive."
  }
  validation {
    condition     = contains(["process", "pooled"], var.wasm.isolation) && var.wasm.pool_max_tasks >= 1 && floor(var.wasm.pool_max_tasks) == var.wasm.pool_max_tasks
    error_message = "wasm.isolation must be \"process\" or \"pooled\" (README \"Pooled tier\"); pool_max_tasks a whole number of at least 1."
  }
}

variable "signatures" {
  description = "Signature policy of the node: mode (off | warn | enforce), trusted public keys (PEM text or a path on the node), Sigstore certificate identities with a trusted_root path, and per-namespace rules (which may only tighten the default)."
  type = object({
    mode         = optional(string, "off")
    public_keys  = optional(list(string), [])
    trusted_root = optional(string)
    identities = optional(list(object({
      issuer  = string
      subject = string
    })), [])
    namespaces = optional(map(object({
      mode        = optional(string)
      public_keys = optional(list(string))
    })), {})
  })
  default = {}
  validation {
    condition     = contains(["off", "warn", "enforce"], var.signatures.mode) && alltrue([for ns in values(var.signatures.namespaces) : ns.mode == null ? true : contains(["off", "warn", "enforce"], ns.mode)])
    error_message = "signatures.mode and signatures.namespaces[*].mode must be \"off\", \"warn\" or \"enforce\"."
  }
  validation {
    condition = alltrue([
      for rule in concat([{ mode = var.signatures.mode, public_keys = var.signatures.public_keys }], values(var.signatures.namespaces)) :
      coalesce(rule.mode, var.signatures.mode) == "off" || length(coalesce(rule.public_keys, var.signatures.public_keys)) > 0 || length(var.signatures.identities) > 0
    ])
    error_message = "A signatures mode of warn or enforce needs public_keys or identities to trust (the driver refuses to start otherwise)."
  }
  validation {
    condition     = length(var.signatures.identities) == 0 || var.signatures.trusted_root != null
    error_message = "signatures.identities need signatures.trusted_root (a Sigstore trusted_root.json path on the node)."
  }
}

variable "policy" {
  description = "Admission policy of the node (README: Admission policy): a Rego policy compiled with `opa build -t wasm` (bundle: a path on the node; or bundle_url + bundle_sha256, which the bootstrap downloads, checks and keeps under <config_dir>/policies/), its mode (off | warn | enforce; enforce when a bundle is given), query, require_provenance / require_sbom, the decision log, and per-namespace rules that may only tighten it (an environment module's policy_rule output fits namespaces[<name>])."
  type = object({
    mode                = optional(string)
    bundle              = optional(string)
    bundle_url          = optional(string)
    bundle_sha256       = optional(string)
    query               = optional(string)
    require_provenance  = optional(bool, false)
    require_sbom        = optional(bool, false)
    decision_log        = optional(string)
    decision_log_inputs = optional(bool, false)
    job_history         = optional(bool, true)
    namespaces = optional(map(object({
      mode               = optional(string)
      bundle             = optional(string)
      bundle_url         = optional(string)
      bundle_sha256      = optional(string)
      query              = optional(string)
      require_provenance = optional(bool)
      require_sbom       = optional(bool)
    })), {})
  })
  default = {}
  validation {
    condition = alltrue([
      for rule in concat([var.policy], values(var.policy.namespaces)) :
      rule.mode == null ? true : contains(["off", "warn", "enforce"], rule.mode)
    ])
    error_message = "policy.mode and policy.namespaces[*].mode must be \"off\", \"warn\" or \"enforce\"."
  }
  validation {
    condition = alltrue([
      for rule in concat([var.policy], values(var.policy.namespaces)) :
      !(rule.bundle != null && rule.bundle_url != null) && ((rule.bundle_url == null) == (rule.bundle_sha256 == null)) &&
      (rule.bundle_sha256 == null ? true : can(regex("^[0-9a-f]{64}$", rule.bundle_sha256))) &&
      (rule.bundle == null ? true : startswith(rule.bundle, "/"))
    ])
    error_message = "A policy bundle is either bundle (an absolute path on the node) or bundle_url with bundle_sha256 (64 hex digits), not both."
  }
  validation {
    condition     = var.policy.decision_log == null ? true : startswith(var.policy.decision_log, "/")
    error_message = "policy.decision_log must be an absolute path on the node."
  }
  validation {
    condition = alltrue([
      for name, rule in var.policy.namespaces : can(regex("^[a-zA-Z0-9-]{1,128}$", name))
    ])
    error_message = "policy.namespaces keys are Nomad namespace names."
  }
}

variable "registries" {
  description = "OCI registries the node pulls components from: host[:port] as in oci:// references, optional credentials (username + password, or identity_token), plain-HTTP insecure, and a CA path."
  type = list(object({
    host           = string
    username       = optional(string)
    password       = optional(string)
    identity_token = optional(string)
    insecure       = optional(bool, false)
    ca_cert        = optional(string)
  }))
  default   = []
  sensitive = true
  validation {
    condition     = alltrue([for r in var.registries : can(regex("^[A-Za-z0-9.-]+(:[0-9]{1,5})?$", r.host))]) && length(distinct([for r in var.registries : r.host])) == length(var.registries)
    error_message = "registries[*].host must be host[:port] (no scheme, no path), each host once."
  }
  validation {
    condition     = alltrue([for r in var.registries : !(r.identity_token != null && r.username != null)])
    error_message = "A registry takes either username/password or identity_token, not both."
  }
}

# ---- Vault and Consul ------------------------------------------------------

variable "vault" {
  description = "Vault integration of the client (agent vault block: address and CA for the tokens Nomad derives for tasks). null: none."
  type = object({
    address = string
    ca_file = optional(string)
  })
  default = null
  validation {
    condition     = var.vault == null ? true : can(regex("^https?://", var.vault.address))
    error_message = "vault.address must be an http:// or https:// URL."
  }
}

variable "consul" {
  description = "Consul agent the client registers services with (agent consul block). null: none (services use provider = \"nomad\")."
  type = object({
    address = string
    token   = optional(string)
    ssl     = optional(bool, false)
  })
  default   = null
  sensitive = true
  validation {
    condition     = var.consul == null ? true : can(regex("^[A-Za-z0-9.\\-]+:[0-9]{1,5}$", var.consul.address))
    error_message = "consul.address must be host:port of the local Consul agent (e.g. 127.0.0.1:8500)."
  }
}

# ---- The wasm driver's own Vault, Consul and Nomad settings ------------------
# The agent blocks above are Nomad's; these are the plugin's (inside
# plugin "wasm" { config { ... } }): the task hosts read tasks' Vault secrets
# from vault, and the plugin resolves allow_services names in consul and nomad
# with tokens of its own (least privilege, never the agent's).

variable "wasm_vault" {
  description = "Where the wasm driver's task hosts read tasks' Vault secrets (plugin vault block; Nomad gives tasks a token but no VAULT_ADDR): address (default: vault.address), ca_cert (a PEM file on the node, read when the plugin starts; default: vault.ca_file), namespace (default for tasks without vault { namespace }), static_secret_refresh and request_timeout (durations such as \"5m\", \"10s\"), tls_skip_verify (lab setups only). null: the agent's vault input decides (a plugin vault block with its address and CA when it is set, none otherwise)."
  type = object({
    address               = optional(string)
    ca_cert               = optional(string)
    namespace             = optional(string)
    static_secret_refresh = optional(string)
    request_timeout       = optional(string)
    tls_skip_verify       = optional(bool, false)
  })
  default = null
  validation {
    condition     = var.wasm_vault == null ? true : var.wasm_vault.address == null ? true : can(regex("^https?://[^/\\s]+/?$", var.wasm_vault.address))
    error_message = "wasm_vault.address must be an http:// or https:// URL of Vault without a path (e.g. https://vault.service.consul:8200)."
  }
  validation {
    condition     = var.wasm_vault == null ? true : alltrue([for d in [var.wasm_vault.static_secret_refresh, var.wasm_vault.request_timeout] : d == null ? true : can(regex("^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$", d))])
    error_message = "wasm_vault.static_secret_refresh and wasm_vault.request_timeout must be durations such as \"30s\", \"5m\" or \"1h30m\"."
  }
  validation {
    condition     = var.wasm_vault == null ? true : var.wasm_vault.ca_cert == null ? true : startswith(var.wasm_vault.ca_cert, "/")
    error_message = "wasm_vault.ca_cert must be the absolute path of a PEM file on the node."
  }
}

variable "wasm_consul" {
  description = "Consul the wasm plugin resolves allow_services names (payments, payments.service.consul) in (plugin consul block): address (host:port or http(s)://host:port; default: the agent's consul address, else 127.0.0.1:8500), token (the driver's own least-privilege token: service:read on the services tasks may call and node:read, as the environment module's consul_policy; never the agent's), ca_cert (PEM file on the node, with an https:// address), namespace and partition (Consul Enterprise). null: the agent's consul address, without a token. Sensitive: it carries a token."
  type = object({
    address   = optional(string)
    token     = optional(string)
    ca_cert   = optional(string)
    namespace = optional(string)
    partition = optional(string)
  })
  default   = null
  sensitive = true
  validation {
    condition     = var.wasm_consul == null ? true : var.wasm_consul.address == null ? true : can(regex("^(https?://)?[A-Za-z0-9.\\-]+:[0-9]{1,5}$|^(https?://)?\\[[0-9a-fA-F:]+\\]:[0-9]{1,5}$", var.wasm_consul.address))
    error_message = "wasm_consul.address must be host:port or http(s)://host:port, without a path."
  }
  validation {
    condition     = var.wasm_consul == null ? true : var.wasm_consul.ca_cert == null ? true : (startswith(var.wasm_consul.ca_cert, "/") && startswith(coalesce(var.wasm_consul.address, "-"), "https://"))
    error_message = "wasm_consul.ca_cert must be an absolute path of a PEM file on the node, and needs an https:// wasm_consul.address."
  }
  validation {
    condition     = var.wasm_consul == null ? true : var.wasm_consul.token == null ? true : length(trimspace(var.wasm_consul.token)) > 0
    error_message = "wasm_consul.token must not be empty (leave it out for no token)."
  }
}

variable "wasm_nomad" {
  description = "Nomad API the wasm plugin resolves name.service.nomad entries of allow_services in (plugin nomad block): address (http(s)://host:port; default: this client's own HTTP API, http://127.0.0.1:<http_port> for a wildcard or loopback bind_addr, else http://<bind_addr>:<http_port>), token (a token with read-job on the namespaces whose services tasks call), ca_cert (PEM file on the node, with https). Sensitive: it carries a token."
  type = object({
    address = optional(string)
    token   = optional(string)
    ca_cert = optional(string)
  })
  default   = null
  sensitive = true
  validation {
    condition     = var.wasm_nomad == null ? true : var.wasm_nomad.address == null ? true : can(regex("^https?://[A-Za-z0-9.\\-]+:[0-9]{1,5}$|^https?://\\[[0-9a-fA-F:]+\\]:[0-9]{1,5}$", var.wasm_nomad.address))
    error_message = "wasm_nomad.address must be http(s)://host:port, without a path."
  }
  validation {
    condition     = var.wasm_nomad == null ? true : var.wasm_nomad.ca_cert == null ? true : (startswith(var.wasm_nomad.ca_cert, "/") && startswith(coalesce(var.wasm_nomad.address, "-"), "https://"))
    error_message = "wasm_nomad.ca_cert must be an absolute path of a PEM file on the node, and needs an https:// wasm_nomad.address."
  }
  validation {
    condition     = var.wasm_nomad == null ? true : var.wasm_nomad.token == null ? true : length(trimspace(var.wasm_nomad.token)) > 0
    error_message = "wasm_nomad.token must not be empty (leave it out for no token)."
  }
}

variable "extra_client_config" {
  description = "HCL appended verbatim to the client configuration (escape hatch for settings this module has no input for)."
  type        = string
  default     = ""
}

variable "client_options" {
  description = "Client options (client { options }), e.g. { \"fingerprint.denylist\" = \"env_aws,env_gce,env_azure\" } where no cloud metadata service exists."
  type        = map(string)
  default     = {}
}
