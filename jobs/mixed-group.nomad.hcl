# A Wasm service and a raw_exec task in one group: the raw_exec task calls
# the component over the group's allocated port every two seconds and logs
# the answers. Shows Wasm tasks living next to ordinary Nomad tasks.
#
#   nomad job run -var artifact_base_url=http://127.0.0.1:8765 jobs/mixed-group.nomad.hcl

variable "artifact_base_url" {
  type        = string
  description = "Base URL the example components are served from (scripts/dev-run.sh serves .cache/components)."
}

job "wasm-mixed" {
  type = "service"

  group "app" {
    network {
      port "http" {}
    }

    task "wasm-api" {
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

    task "caller" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "while true; do curl -s http://${NOMAD_ADDR_http}/ || echo 'no answer yet'; sleep 2; done"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
