# A Spin app, unchanged: test/components/python/spin-py-app (Python, built by
# `componentize-py -w spin-http componentize app` with spin-sdk 3.4.1) and its
# own spin.toml, as a Nomad service. Each line of the task config grants what
# a line of the spin.toml asks for (README "Spin apps"); `spin { manifest }`
# makes the driver check that at start.
#
#   nomad job run -var artifact_base_url=http://127.0.0.1:8765 jobs/spin-py-app.nomad.hcl
#
# The client needs the plugin's vault { address } and consul { address }
# blocks; Vault needs kv/data/spin-py-app (field api_token), Vault's Consul
# secrets engine with a role spin-py-app (a Consul policy with
# key_prefix "apps/spin-py-app/" { policy = "write" }), and a policy
# spin-py-app that reads both paths (README "Vault policy").

variable "artifact_base_url" {
  type        = string
  description = "Base URL the example components are served from (scripts/dev-run.sh serves .cache/components)."
}

job "spin-py-app" {
  group "app" {
    network {
      port "http" {}
    }

    task "app" {
      driver = "wasm"

      # [component.spin-py-app] source = "app.wasm"
      artifact {
        source      = "${var.artifact_base_url}/spin-py-app.wasm"
        destination = "local/app.wasm"
        mode        = "file"
      }
      artifact {
        source      = "${var.artifact_base_url}/spin-py-app.spin.toml"
        destination = "local/spin.toml"
        mode        = "file"
      }

      vault {
        policies = ["spin-py-app"]
        env      = false
      }

      config {
        component = "local/app.wasm"
        # [[trigger.http]] route = "/...": every path, on the port Nomad allocates.
        port = "http"
        # allowed_outbound_hosts = ["https://api.example.com"]
        allow_http = ["api.example.com"]
        # [variables] greeting = { default = "hello" }
        config_values = { greeting = "hello" }
        # [variables] api_token = { required = true, secret = true }: from Vault.
        secret "api_token" {
          path  = "kv/data/spin-py-app"
          field = "api_token"
        }
        config_keys = ["api_token"]
        # key_value_stores = ["default"]: a Consul KV prefix, with a Consul token
        # Vault issues for this job (never shown to the component).
        secret "consul" {
          path  = "consul/creds/spin-py-app"
          field = "token"
        }
        key_value_store "default" {
          consul_prefix = "apps/spin-py-app/default"
          token_secret  = "consul"
        }
        # Fail the start, naming what to add, if the spin.toml asks for more.
        spin {
          manifest = "local/spin.toml"
        }
      }

      # Spin routes map to a service name: route by it (Consul, Traefik, nginx).
      service {
        name     = "spin-py-app"
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
