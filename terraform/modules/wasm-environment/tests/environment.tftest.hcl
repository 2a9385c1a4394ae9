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
      component      = "oci://registry.internal/apps/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      grants         = { allow_http = ["payments.internal"] }
      secrets        = { db = { path = "secret/data/prod/api", field = "password" } }
      allow_services = ["payments"]
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
    condition     = nomadwasm_service.this["api"].vault_policies == tolist(["prod-wasm-services"])
    error_message = "a service with secrets gets the environment's Vault policy"
  }
  assert {
    condition     = output.signature_rule.mode == "enforce" && length(output.signature_rule.public_keys) == 1
    error_message = "signature_rule carries the mode and keys for the client module"
  }
  assert {
    condition     = strcontains(output.vault_policy, "path \"secret/data/prod/api\" {\n  capabilities = [\"read\"]")
    error_message = "the Vault policy grants read on each secret path"
  }
  assert {
    condition     = strcontains(output.consul_policy, "service_prefix \"prod-\"") && strcontains(output.consul_policy, "service \"payments\" {\n  policy = \"read\"")
    error_message = "the Consul policy lets services register under the env prefix and read the allowed ones"
  }
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
