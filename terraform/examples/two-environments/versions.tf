terraform {
  required_version = ">= 1.6.0"
  required_providers {
    nomadwasm = {
      source = "nomad-driver-wasm.local/nomad-driver-wasm/nomadwasm"
    }
  }
}

provider "nomadwasm" {
  address  = var.nomad_address
  cli_path = var.nomad_wasm_cli
}
