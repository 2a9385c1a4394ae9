# A WASI 0.3 wasi:cli command (it exports wasi:cli/run@0.3.0), built from
# Python by componentize-py 0.25.1 (test/components/python/command-p3): it
# reads the granted directory through wasi:filesystem@0.3 and prints it.
#
#   nomad job run -var artifact_base_url=http://127.0.0.1:8765 jobs/wasi-p3-command.nomad.hcl
#   nomad alloc logs <alloc>

variable "artifact_base_url" {
  type        = string
  description = "Base URL the example components are served from (scripts/dev-run.sh serves .cache/components)."
}

job "wasm-p3-command" {
  type = "batch"

  group "run" {
    task "list" {
      driver = "wasm"

      artifact {
        source      = "${var.artifact_base_url}/command-p3.wasm"
        destination = "local/command-p3.wasm"
        mode        = "file"
      }

      template {
        data        = "written by Nomad's template block\n"
        destination = "local/data/note.txt"
      }

      config {
        component = "local/command-p3.wasm"
        args      = ["cat", "/data/note.txt"]
        mount {
          source      = "local/data"
          destination = "/data"
        }
      }

      resources {
        cpu    = 200
        memory = 256
      }
    }
  }
}
