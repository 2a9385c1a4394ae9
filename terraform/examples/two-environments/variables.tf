variable "nomad_address" {
  description = "Nomad HTTP API of the cluster (a server)."
  type        = string
}

variable "nomad_servers" {
  description = "Server RPC addresses the new client node joins (host:port)."
  type        = list(string)
}

variable "nomad_wasm_cli" {
  description = "Path of the driver's nomad-wasm CLI (the provider resolves and verifies components with it)."
  type        = string
  default     = "nomad-wasm"
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
