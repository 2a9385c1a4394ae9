variable "nomad_address" {
  description = "Nomad HTTP API of the cluster (a server). null: $NOMAD_ADDR, as the nomad CLI reads it."
  type        = string
  default     = null
}

variable "nomad_servers" {
  description = "Server RPC addresses (host:port) the node brought up on this machine joins; only used with `node`."
  type        = list(string)
  default     = []
}

variable "nomad_wasm_cli" {
  description = "Path of the driver's nomad-wasm CLI (the provider resolves and verifies components with it). null: $NOMAD_WASM_CLI, else nomad-wasm on PATH."
  type        = string
  default     = null
}

variable "node_class" {
  description = "Without `node`: the node_class of the clients the environments' jobs must run on (e.g. the client module's \"wasm\"); null: any client that runs the drivers they use (wasm, and raw_exec for the sidecars). With `node`, that node's class is used."
  type        = string
  default     = null
}

variable "sidecars" {
  description = "Deploy a raw_exec job (`<env>-sidecar`) beside each environment's Wasm service. Needs raw_exec enabled on the clients (plugin \"raw_exec\" { config { enabled = true } }: it is off by default in Nomad); false: Wasm services only."
  type        = bool
  default     = true
}

variable "deployment_timeout" {
  description = "How long apply waits for each Wasm service to be healthy before failing with what keeps it from being placed or healthy."
  type        = string
  default     = "5m"
}

variable "component_repository" {
  description = "oci://registry/repository of the service's component (without tag or digest)."
  type        = string
  validation {
    condition     = can(regex("^oci://[^@:]+(:[0-9]+)?/[^@:]+$", var.component_repository))
    error_message = "component_repository must be oci://registry/repository, without a tag or digest."
  }
}

variable "dev_digest" {
  description = "Manifest digest (sha256:…) of the component dev runs. Change it to roll dev."
  type        = string
  validation {
    condition     = can(regex("^sha256:[0-9a-f]{64}$", var.dev_digest))
    error_message = "dev_digest must be sha256:<64 hex>."
  }
}

variable "prod_digest" {
  description = "Manifest digest prod runs. Promoting dev to prod: set it to dev_digest."
  type        = string
  validation {
    condition     = can(regex("^sha256:[0-9a-f]{64}$", var.prod_digest))
    error_message = "prod_digest must be sha256:<64 hex>."
  }
}

variable "dev_allow_http" {
  description = "Outbound hosts the dev service may call (a grant: changing it rolls the service)."
  type        = list(string)
  default     = []
}

variable "signing_public_key" {
  description = "PEM public key whose signatures both environments trust (cosign.pub)."
  type        = string
}

variable "node" {
  description = "The client node to bring up on this machine from the client module's bootstrap (releases to install, where, ports). null: no local node (the cluster's clients are provisioned elsewhere, e.g. with cloud_init as user_data)."
  type = object({
    nomad       = object({ version = string, url = string, sha256 = string })
    nodejs      = object({ version = string, url = string, sha256 = string })
    driver      = object({ version = string, url = string, sha256 = string })
    install_dir = string
    config_dir  = string
    data_dir    = string
    http_port   = number
    node_name   = string
    node_class  = string
  })
  default = null
}
