# The environment module with the nomadwasm provider mocked (OpenTofu reads
# the real provider's schema from the mirror). Real applies against Nomad
# are in test/terraform/example-apply.test.ts.

mock_provider "nomadwasm" {}

variables {
  name           = "prod"
  signature_mode = "enforce"
  public_keys    = ["-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"]
  services = {
    api = {
      component = "oci://registry.internal/apps/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      grants    = { allow_http = ["payments.internal"] }
      secrets = {
        db  = { path = "database/creds/api" }
        api = { path = "/v1/secret/data/prod/api", field = "password", version = 2 }
      }
      config_keys    = ["db.username", "db.password", "api"]
      config_values  = { log_level = "info" }
      secret_env     = { API_PASSWORD = "api" }
      allow_services = ["payments", "Ledger.service.consul", "billing.service.nomad"]
      register_with  = "consul"
    }
    static = {
      component = "oci://registry.internal/apps/static@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    }
  }
}

run "namespace_services_and_policies" {
  command = plan

  assert {
    condition     = nomadwasm_namespace.this.name == "prod" && nomadwasm_namespace.this.meta["nomad-driver-wasm/signature-mode"] == "enforce"
    error_message = "the namespace is the environment's name and records its signature mode"
  }
  assert {
    condition     = nomadwasm_service.this["api"].name == "prod-api" && nomadwasm_service.this["api"].namespace == "prod"
    error_message = "services are named <env>-<service> in the environment's namespace"
  }
  assert {
    condition     = nomadwasm_service.this["api"].vault_policies == tolist(["prod-wasm-services"]) && output.vault_policy_name == "prod-wasm-services"
    error_message = "a service with secrets gets the environment's Vault policy"
  }
  assert {
    condition     = nomadwasm_service.this["static"].vault_policies == null && nomadwasm_service.this["static"].secrets == null && nomadwasm_service.this["static"].allow_services == null
    error_message = "a service without secrets gets no Vault policy"
  }
  assert {
    condition     = nomadwasm_service.this["api"].secrets["db"].path == "database/creds/api" && nomadwasm_service.this["api"].secrets["api"].field == "password" && nomadwasm_service.this["api"].secrets["api"].version == 2
    error_message = "secrets reach the service with path, field and version"
  }
  assert {
    condition     = nomadwasm_service.this["api"].config_keys == tolist(["db.username", "db.password", "api"]) && nomadwasm_service.this["api"].config_values["log_level"] == "info" && nomadwasm_service.this["api"].secret_env["API_PASSWORD"] == "api"
    error_message = "config_keys, config_values and secret_env reach the service"
  }
  assert {
    condition     = output.signature_rule.mode == "enforce" && length(output.signature_rule.public_keys) == 1
    error_message = "signature_rule carries the mode and keys for the client module"
  }
  assert {
    condition     = strcontains(output.vault_policy, "path \"secret/data/prod/api\" {\n  capabilities = [\"read\"]") && strcontains(output.vault_policy, "path \"database/creds/api\" {\n  capabilities = [\"read\"]") && !strcontains(output.vault_policy, "v1/")
    error_message = "the Vault policy grants read on each secret path, as the driver reads it (no leading /v1/)"
  }
  assert {
    condition     = strcontains(output.vault_policy, "path \"sys/leases/renew\" {\n  capabilities = [\"update\"]") && strcontains(output.vault_policy, "path \"sys/leases/revoke\" {\n  capabilities = [\"update\"]")
    error_message = "the Vault policy lets the driver renew and revoke the secrets' leases"
  }
  assert {
    condition     = strcontains(output.consul_policy, "service \"payments\" {\n  policy = \"read\"") && strcontains(output.consul_policy, "service \"ledger\" {\n  policy = \"read\"") && strcontains(output.consul_policy, "node_prefix \"\" {\n  policy = \"read\"")
    error_message = "the plugin's Consul policy reads the granted Consul services (by their Consul name) and the nodes"
  }
  assert {
    condition     = !strcontains(output.consul_policy, "billing") && !strcontains(output.consul_policy, "write") && !strcontains(output.consul_policy, "service_prefix")
    error_message = "the plugin's Consul policy is read-only, for the granted Consul services only"
  }
  assert {
    condition     = output.nomad_policy == "# Nomad ACL policy of the wasm plugin's lookup token (plugin nomad { token }): the prod Wasm services call billing by name.service.nomad in their namespace.\nnamespace \"prod\" {\n  capabilities = [\"read-job\"]\n}"
    error_message = "name.service.nomad grants need read-job in the environment's namespace"
  }
  assert {
    condition     = strcontains(output.consul_registration_policy, "service \"prod-api\" {\n  policy = \"write\"") && !strcontains(output.consul_registration_policy, "prod-static")
    error_message = "the agent's token may register the services that register with Consul"
  }
}

run "no_secrets_or_service_calls_no_policies" {
  command = plan
  variables {
    services = { static = { component = "oci://registry.internal/apps/static@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" } }
  }
  assert {
    condition     = output.vault_policy == null && output.consul_policy == null && output.nomad_policy == null && output.consul_registration_policy == null
    error_message = "no service needs Vault, Consul or Nomad access: no policy texts"
  }
}

run "rejects_secrets_nothing_grants" {
  command = plan
  variables {
    services = {
      api = {
        component = "oci://registry.internal/apps/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        secrets   = { db = { path = "database/creds/api" } }
      }
    }
  }
  expect_failures = [var.services]
}

run "key_value_stores_reach_the_service_and_the_consul_policy" {
  command = plan
  variables {
    services = {
      cart = {
        component = "oci://registry.internal/apps/cart@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
        secrets   = { consul = { path = "consul/creds/cart", field = "token" } }
        key_value_stores = {
          default = { consul_prefix = "apps/cart/default", token_secret = "consul" }
          cache   = { consul_prefix = "/apps/cart/cache/" }
        }
      }
    }
  }
  assert {
    condition     = nomadwasm_service.this["cart"].key_value_stores["default"].consul_prefix == "apps/cart/default" && nomadwasm_service.this["cart"].key_value_stores["default"].token_secret == "consul" && nomadwasm_service.this["cart"].key_value_stores["cache"].token_secret == null
    error_message = "key_value_stores reach the service with consul_prefix and token_secret"
  }
  assert {
    condition     = nomadwasm_service.this["cart"].vault_policies == tolist(["prod-wasm-services"]) && strcontains(output.vault_policy, "path \"consul/creds/cart\" {")
    error_message = "a secret used only as a store's token_secret is granted (no config_keys needed) and read with the environment's Vault policy"
  }
  assert {
    condition     = strcontains(output.consul_policy, "key_prefix \"apps/cart/cache/\" {\n  policy = \"write\"\n}") && !strcontains(output.consul_policy, "apps/cart/default") && !strcontains(output.consul_policy, "service \"")
    error_message = "the plugin's Consul token gets key_prefix write on the stores without a token_secret, and only on those"
  }
}

run "rejects_a_misspelt_key_value_store_attribute" {
  command = plan
  variables {
    services = {
      cart = {
        component        = "oci://registry.internal/apps/cart@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
        key_value_stores = { default = { consul_prefx = "apps/cart/default" } }
      }
    }
  }
  expect_failures = [var.services]
}

run "rejects_a_store_prefix_with_dot_dot" {
  command = plan
  variables {
    services = {
      cart = {
        component        = "oci://registry.internal/apps/cart@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
        key_value_stores = { default = { consul_prefix = "apps/../vault" } }
      }
    }
  }
  expect_failures = [var.services]
}

run "rejects_a_store_label_with_a_space" {
  command = plan
  variables {
    services = {
      cart = {
        component        = "oci://registry.internal/apps/cart@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
        key_value_stores = { "my store" = { consul_prefix = "apps/cart" } }
      }
    }
  }
  expect_failures = [var.services]
}

run "rejects_a_malformed_service_grant" {
  command = plan
  variables {
    services = {
      api = {
        component      = "oci://registry.internal/apps/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        allow_services = ["http://payments.service.consul"]
      }
    }
  }
  expect_failures = [var.services]
}

run "dev_and_prod_differ_only_in_variables" {
  command = plan
  variables {
    name           = "dev"
    signature_mode = "warn"
  }
  assert {
    condition     = nomadwasm_service.this["api"].name == "dev-api" && output.signature_rule.mode == "warn"
    error_message = "the same module makes dev from other variables"
  }
}

run "rejects_the_default_namespace" {
  command = plan
  variables {
    name = "default"
  }
  expect_failures = [var.name]
}

run "rejects_a_tag_instead_of_a_digest" {
  command = plan
  variables {
    services = { api = { component = "oci://registry.internal/apps/api:latest" } }
  }
  expect_failures = [var.services]
}

run "rejects_an_unknown_signature_mode" {
  command = plan
  variables {
    signature_mode = "strict"
  }
  expect_failures = [var.signature_mode]
}

# The input is `any` so that these fail by name instead of vanishing in a
# type conversion (the attribute named in the message is checked by
# test/terraform/modules.test.ts, which reads tofu's output).
run "rejects_a_misspelt_grant" {
  command = plan
  variables {
    services = {
      api = {
        component = "oci://registry.internal/apps/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        grants    = { alow_http = ["payments.internal"] }
      }
    }
  }
  expect_failures = [var.services]
}

run "rejects_a_misspelt_service_attribute" {
  command = plan
  variables {
    services = {
      api = {
        component     = "oci://registry.internal/apps/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        allow_service = ["payments"]
      }
    }
  }
  expect_failures = [var.services]
}

run "rejects_a_mount_without_destination" {
  command = plan
  variables {
    services = {
      api = {
        component = "oci://registry.internal/apps/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        grants    = { mounts = [{ source = "local/data", dest = "/data" }] }
      }
    }
  }
  expect_failures = [var.services]
}

run "rejects_a_misspelt_secret_attribute" {
  command = plan
  variables {
    services = {
      api = {
        component   = "oci://registry.internal/apps/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        secrets     = { db = { path = "database/creds/api", feild = "password" } }
        config_keys = ["db"]
      }
    }
  }
  expect_failures = [var.services]
}

run "fills_in_the_documented_defaults" {
  command = plan
  variables {
    services = {
      static = {
        component = "oci://registry.internal/apps/static@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
      }
      files = {
        component = "oci://registry.internal/apps/files@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
        count     = 3
        grants = {
          env    = { GREETING = "hi" }
          mounts = [{ source = "local/www", destination = "/www" }, { source = "alloc/data", destination = "/data", readonly = false }]
        }
      }
    }
  }
  assert {
    condition     = nomadwasm_service.this["static"].instance_count == 1 && nomadwasm_service.this["static"].cpu == 100 && nomadwasm_service.this["static"].memory == 64 && nomadwasm_service.this["static"].http_instance == "shared"
    error_message = "count, cpu, memory and http_instance default to 1, 100, 64 and shared"
  }
  assert {
    condition     = nomadwasm_service.this["static"].service.provider == "nomad" && nomadwasm_service.this["static"].service.checks[0].path == "/" && nomadwasm_service.this["static"].grants == null
    error_message = "a service registers with Nomad, is checked on / and has no grants by default"
  }
  assert {
    condition     = nomadwasm_service.this["files"].instance_count == 3 && nomadwasm_service.this["files"].grants.env["GREETING"] == "hi" && nomadwasm_service.this["files"].grants.allow_http == null
    error_message = "given attributes and grants reach the service; grants not given stay unset"
  }
  assert {
    condition     = nomadwasm_service.this["files"].grants.mounts[0].readonly == true && nomadwasm_service.this["files"].grants.mounts[1].readonly == false && nomadwasm_service.this["files"].grants.mounts[1].destination == "/data"
    error_message = "mounts are read-only unless readonly = false"
  }
}

run "no_policy_rule_without_a_policy" {
  command = plan

  assert {
    condition     = output.policy_rule == null && !contains(keys(nomadwasm_namespace.this.meta), "nomad-driver-wasm/policy-mode")
    error_message = "without a policy the environment ships no policy rule"
  }
}

run "ships_the_namespace_policy_to_the_clients" {
  command = plan
  variables {
    policy = {
      bundle_url         = "https://policies.example.com/prod-v7.tar.gz"
      bundle_sha256      = "5555555555555555555555555555555555555555555555555555555555555555"
      require_provenance = true
    }
  }

  assert {
    condition = (
      output.policy_rule.mode == "enforce" &&
      output.policy_rule.bundle == null &&
      output.policy_rule.bundle_url == "https://policies.example.com/prod-v7.tar.gz" &&
      output.policy_rule.bundle_sha256 == "5555555555555555555555555555555555555555555555555555555555555555" &&
      output.policy_rule.query == null &&
      output.policy_rule.require_provenance == true &&
      output.policy_rule.require_sbom == null
    )
    error_message = "policy_rule is what the client module's policy.namespaces[prod] takes, enforcing by default"
  }
  assert {
    condition     = nomadwasm_namespace.this.meta["nomad-driver-wasm/policy-mode"] == "enforce" && nomadwasm_namespace.this.meta["nomad-driver-wasm/policy-bundle-sha256"] == "5555555555555555555555555555555555555555555555555555555555555555"
    error_message = "the namespace records its policy mode and bundle checksum"
  }
}

run "rejects_a_policy_bundle_url_without_checksum" {
  command = plan
  variables {
    policy = { bundle_url = "https://policies.example.com/prod.tar.gz" }
  }
  expect_failures = [var.policy]
}

run "rejects_an_enforcing_policy_with_nothing_to_enforce" {
  command = plan
  variables {
    policy = { mode = "enforce" }
  }
  expect_failures = [var.policy]
}
