terraform {
  required_version = ">= 1.6.0"
  required_providers {
    nomadwasm = {
      # The provider of this repository (terraform/provider), installed from
      # a filesystem mirror; no registry serves it.
      source = "nomad-driver-wasm.local/nomad-driver-wasm/nomadwasm"
    }
  }
}
