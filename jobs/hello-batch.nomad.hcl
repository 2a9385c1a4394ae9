# A wasi:cli command as a batch job: prints a greeting and its arguments,
# then exits 0. `nomad alloc logs <alloc>` shows its stdout.
#
#   nomad job run -var artifact_base_url=http://127.0.0.1:8765 jobs/hello-batch.nomad.hcl

variable "artifact_base_url" {
  type        = string
  description = "Base URL the example components are served from (scripts/dev-run.sh serves .cache/components)."
}

job "wasm-hello-batch" {
  type = "batch"

  group "hello" {
    restart {
      attempts = 0
      mode     = "fail"
    }

    task "hello" {
      driver = "wasm"

      # Nomad downloads the component into the task's local/ dir.
      artifact {
        source      = "${var.artifact_base_url}/hello-command.wasm"
        destination = "local/hello-command.wasm"
        mode        = "file"
      }

      config {
        component = "local/hello-command.wasm"
        args      = ["from", "nomad"]
        # Only what is listed here reaches the component: no task env, no files, no network.
        env       = { GREETING = "hello" }
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
