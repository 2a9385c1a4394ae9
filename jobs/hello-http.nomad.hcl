# A wasi:http component as a service: the driver serves it on the port Nomad
# allocates for the "http" label, and Nomad registers and health-checks it.
#
#   nomad job run -var artifact_base_url=http://127.0.0.1:8765 jobs/hello-http.nomad.hcl

variable "artifact_base_url" {
  type        = string
  description = "Base URL the example components are served from (scripts/dev-run.sh serves .cache/components)."
}

job "wasm-hello-http" {
  type = "service"

  group "web" {
    network {
      port "http" {}
    }

    service {
      name     = "wasm-hello-http"
      port     = "http"
      provider = "nomad"

      check {
        type     = "http"
        path     = "/"
        interval = "5s"
        timeout  = "2s"
      }
    }

    task "server" {
      driver = "wasm"

      artifact {
        source      = "${var.artifact_base_url}/hello-http.wasm"
        destination = "local/hello-http.wasm"
        mode        = "file"
      }

      config {
        component = "local/hello-http.wasm"
        port      = "http"
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
