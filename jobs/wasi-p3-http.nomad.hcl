# A WASI 0.3 wasi:http service (it exports wasi:http/handler@0.3.0), built
# from Python by componentize-py 0.25.1 (test/components/python/http-p3):
# the same job as for a WASI 0.2 component. Bodies stream both ways and
# trailers pass through; a fresh instance per request with
# http_instance = "per-request".
#
#   nomad job run -var artifact_base_url=http://127.0.0.1:8765 jobs/wasi-p3-http.nomad.hcl
#   curl http://<alloc address>/            # hello from python on wasi 0.3
#   curl --data-binary @file http://<alloc address>/echo

variable "artifact_base_url" {
  type        = string
  description = "Base URL the example components are served from (scripts/dev-run.sh serves .cache/components)."
}

job "wasm-p3-http" {
  type = "service"

  group "web" {
    network {
      port "http" {}
    }

    service {
      name     = "wasm-p3-http"
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
        source      = "${var.artifact_base_url}/http-p3.wasm"
        destination = "local/http-p3.wasm"
        mode        = "file"
      }

      config {
        component     = "local/http-p3.wasm"
        port          = "http"
        env           = { GREETING = "hello from the job" }
        config_values = { "app.name" = "wasm-p3-http" }
      }

      resources {
        cpu    = 200
        memory = 256 # a Python component: its linear memory starts at tens of MiB
      }
    }
  }
}
