# A signed component from an OCI registry that needs a login. The password
# lives in a Nomad Variable, reaches the task env through a template, and
# Nomad interpolates it into `auth {}`; the component itself never sees it.
# With `signatures { mode = "enforce" ... }` in the client's plugin config,
# the task runs only if a trusted signer vouches for the component.
#
#   nomad var put nomad/jobs/wasm-hello-oci registry_password=...
#   nomad job run -var registry=registry.example.com -var username=deployer jobs/hello-oci.nomad.hcl

variable "registry" {
  type        = string
  description = "host[:port] of the registry holding apps/hello (e.g. pushed with `nomad-wasm push`)."
}

variable "username" {
  type    = string
  default = "deployer"
}

job "wasm-hello-oci" {
  type = "batch"

  group "hello" {
    restart {
      attempts = 0
      mode     = "fail"
    }

    task "hello" {
      driver = "wasm"

      template {
        data        = "REGISTRY_PASSWORD={{ with nomadVar \"nomad/jobs/wasm-hello-oci\" }}{{ .registry_password }}{{ end }}"
        destination = "secrets/registry.env"
        env         = true
      }

      config {
        component = "oci://${var.registry}/apps/hello:signed"
        args      = ["from", "oci"]
        auth {
          username = var.username
          password = "${REGISTRY_PASSWORD}"
        }
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
