# A Spin 4 app, unchanged: test/components/python/spin4-py-app (Python, built
# by `componentize-py -w spin:up/http-trigger@4.1.0 componentize app` with
# spin-sdk 5.0.0 and componentize-py 0.25.1: a WASI 0.3 service importing
# the async spin:*@3.x interfaces) and its own spin.toml, as a Nomad
# service. The task config is the same as a Spin 3 app's (jobs/spin-py-app.nomad.hcl):
# the driver tells the WASI release from the component itself.
#
#   nomad job run -var artifact_base_url=http://127.0.0.1:8765 jobs/spin4-py-app.nomad.hcl
#
# The client needs the plugin's vault { address } and consul { address }
# blocks; Vault needs kv/data/spin4-py-app (field api_token), Vault's Consul
# secrets engine with a role spin4-py-app (a Consul policy with
# key_prefix "apps/spin4-py-app/" { policy = "write" }), and a policy
# spin4-py-app that reads both paths (README "Vault policy").

variable "artifact_base_url" {
  type        = string
  description = "Base URL the example components are served from (scripts/dev-run.sh serves .cache/components)."
}

job "spin4-py-app" {
  group "app" {
    network {
      port "http" {}
    }

    task "app" {
      driver = "wasm"

      # [component.spin4-py-app] source = "app.wasm"
      artifact {
        source      = "${var.artifact_base_url}/spin4-py-app.wasm"
        destination = "local/app.wasm"
        mode        = "file"
      }
      artifact {
        source      = "${var.artifact_base_url}/spin4-py-app.spin.toml"
        destination = "local/spin.toml"
        mode        = "file"
      }

      vault {
        policies = ["spin4-py-app"]
        env      = false
      }

      config {
        component = "local/app.wasm"
        # [[trigger.http]] route = "/...": every path, on the port Nomad allocates.
        port = "http"
        # Per-request instances, as Spin gives each request a fresh one.
        http_instance = "per-request"
        # [variables] greeting = { default = "hello" }
        config_values = { greeting = "hello" }
        # [variables] api_token = { required = true, secret = true }: from Vault.
        secret "api_token" {
          path  = "kv/data/spin4-py-app"
          field = "api_token"
        }
        config_keys = ["api_token"]
        # key_value_stores = ["default"]: a Consul KV prefix, with a Consul token
        # Vault issues for this job (never shown to the component).
        secret "consul" {
          path  = "consul/creds/spin4-py-app"
          field = "token"
        }
        key_value_store "default" {
          consul_prefix = "apps/spin4-py-app/default"
          token_secret  = "consul"
        }
        # Fail the start, naming what to add, if the spin.toml asks for more.
        spin {
          manifest = "local/spin.toml"
        }
      }

      service {
        name     = "spin4-py-app"
        port     = "http"
        provider = "nomad"
      }

      resources {
        cpu    = 200
        memory = 256
      }
    }
  }
}
