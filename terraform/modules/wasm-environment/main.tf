# What a team gets per environment: a namespace whose services must pass
# the signature mode set here, the Wasm services deployed by digest with
# their grants, other jobs beside them, and the Vault/Consul policy texts
# those services need. dev and prod differ only in variables.

resource "nomadwasm_namespace" "this" {
  name        = var.name
  description = var.description != "" ? var.description : "${var.name} environment (Wasm services under signature mode ${var.signature_mode})"
  # The namespace records what its workloads are held to, for whoever reads it in Nomad.
  meta = merge(
    { "nomad-driver-wasm/signature-mode" = var.signature_mode },
    var.policy == null ? {} : { "nomad-driver-wasm/policy-mode" = var.policy.mode },
    try(var.policy.bundle_sha256, null) == null ? {} : { "nomad-driver-wasm/policy-bundle-sha256" = var.policy.bundle_sha256 },
  )
  capabilities {
    enabled_task_drivers = var.enabled_task_drivers
  }
}

# var.services with every attribute present: the defaults its description
# promises, and grants, mounts and secrets in one shape each (the input is
# `any`, so that a misspelt attribute can be refused by name).
locals {
  services = {
    for name, s in var.services : name => {
      component     = s.component
      count         = try(coalesce(s.count, 1), 1)
      cpu           = try(coalesce(s.cpu, 100), 100)
      memory        = try(coalesce(s.memory, 64), 64)
      http_instance = try(coalesce(s.http_instance, "shared"), "shared")
      grants = try(s.grants, null) == null ? null : {
        env        = try(s.grants.env, null)
        pass_env   = try(s.grants.pass_env, null)
        allow_http = try(s.grants.allow_http, null)
        mounts = try(s.grants.mounts, null) == null ? null : [
          for m in s.grants.mounts : { source = m.source, destination = m.destination, readonly = try(coalesce(m.readonly, true), true) }
        ]
        memory_max = try(s.grants.memory_max, null)
      }
      secrets = try(s.secrets, null) == null ? null : {
        for k, secret in s.secrets : k => { path = secret.path, field = try(secret.field, null), version = try(secret.version, null) }
      }
      key_value_stores = try(s.key_value_stores, null) == null ? null : {
        for label, store in s.key_value_stores : label => { consul_prefix = store.consul_prefix, token_secret = try(store.token_secret, null) }
      }
      config_keys    = try(s.config_keys, null)
      config_values  = try(s.config_values, null)
      secret_env     = try(s.secret_env, null)
      allow_services = try(s.allow_services, null)
      service_tags   = try(s.service_tags, null)
      check_path     = try(coalesce(s.check_path, "/"), "/")
      register_with  = try(coalesce(s.register_with, "nomad"), "nomad")
    }
  }
}

resource "nomadwasm_service" "this" {
  for_each = local.services

  name               = "${var.name}-${each.key}"
  namespace          = nomadwasm_namespace.this.name
  datacenters        = var.datacenters
  node_class         = var.node_class
  component          = each.value.component
  instance_count     = each.value.count
  cpu                = each.value.cpu
  memory             = each.value.memory
  http_instance      = each.value.http_instance
  secrets            = each.value.secrets
  key_value_stores   = each.value.key_value_stores
  config_keys        = each.value.config_keys
  config_values      = each.value.config_values
  secret_env         = each.value.secret_env
  allow_services     = each.value.allow_services
  vault_policies     = length(coalesce(each.value.secrets, {})) == 0 ? null : [local.vault_policy_name]
  deployment_timeout = var.deployment_timeout

  dynamic "grants" {
    for_each = each.value.grants == null ? [] : [each.value.grants]
    content {
      env        = grants.value.env
      pass_env   = grants.value.pass_env
      allow_http = grants.value.allow_http
      mounts     = grants.value.mounts
      memory_max = grants.value.memory_max
    }
  }

  service = {
    name     = "${var.name}-${each.key}"
    provider = each.value.register_with
    tags     = each.value.service_tags
    checks   = [{ type = "http", path = each.value.check_path }]
  }
}

resource "nomadwasm_job" "this" {
  for_each = var.jobs

  jobspec = each.value
  hcl2 {
    vars = { namespace = nomadwasm_namespace.this.name }
  }
}

# The policy texts the environment's services need, derived from what they
# ask for (README "Vault policy" and "Node configuration and the policy it
# needs"); null when no service needs that system.
locals {
  vault_policy_name = "${var.name}-wasm-services"

  # Paths as the driver reads them: a leading / or v1/ is dropped.
  secret_paths = sort(distinct(flatten([for s in values(local.services) : [for secret in values(coalesce(s.secrets, {})) : replace(replace(secret.path, "/^\\/+/", ""), "/^v1\\//", "")]])))

  vault_policy = length(local.secret_paths) == 0 ? null : join("\n", concat(
    ["# Vault policy ${local.vault_policy_name}: what the ${var.name} Wasm services' task tokens need for their secrets."],
    [for p in local.secret_paths : "path \"${p}\" {\n  capabilities = [\"read\"]\n}"],
    [
      "# The driver renews the secrets' leases while the task runs (also in Vault's default policy)...",
      "path \"sys/leases/renew\" {\n  capabilities = [\"update\"]\n}",
      "# ...and revokes them when it stops (not in the default policy).",
      "path \"sys/leases/revoke\" {\n  capabilities = [\"update\"]\n}",
    ],
  ))

  # allow_services entries as the driver reads them: lower case; "name" and
  # "name.service.consul" are Consul services, "name.service.nomad" Nomad ones.
  service_grants  = distinct(flatten([for s in values(local.services) : [for g in coalesce(s.allow_services, []) : lower(trimspace(g))]]))
  consul_services = sort(distinct([for g in local.service_grants : trimsuffix(g, ".service.consul") if !endswith(g, ".service.nomad")]))
  nomad_services  = sort(distinct([for g in local.service_grants : trimsuffix(g, ".service.nomad") if endswith(g, ".service.nomad")]))
  registered      = sort([for k, s in local.services : "${var.name}-${k}" if s.register_with == "consul"])
  # Key-value stores without a token_secret use the plugin's Consul token (prefixes as the driver trims them).
  node_token_kv_prefixes = sort(distinct(flatten([for s in values(local.services) : [for store in values(coalesce(s.key_value_stores, {})) : trim(store.consul_prefix, "/") if store.token_secret == null]])))

  consul_policy = length(local.consul_services) + length(local.node_token_kv_prefixes) == 0 ? null : join("\n", concat(
    length(local.consul_services) == 0 ? [] : concat(
      ["# Consul ACL policy of the wasm plugin's lookup token (plugin consul { token }): the ${var.name} Wasm services call these services by name."],
      [for s in local.consul_services : "service \"${s}\" {\n  policy = \"read\"\n}"],
      ["# Health answers name the nodes the instances run on.", "node_prefix \"\" {\n  policy = \"read\"\n}"],
    ),
    length(local.node_token_kv_prefixes) == 0 ? [] : concat(
      ["# The ${var.name} Wasm services' key-value stores without a token_secret read and write Consul KV with the plugin's Consul token (plugin consul { token })."],
      [for p in local.node_token_kv_prefixes : "key_prefix \"${p}/\" {\n  policy = \"write\"\n}"],
    ),
  ))

  consul_registration_policy = length(local.registered) == 0 ? null : join("\n", concat(
    ["# Consul ACL rules the Nomad client agent's token (agent consul { token }) needs to register the ${var.name} Wasm services (Nomad 1.6 registers with the agent's token)."],
    [for s in local.registered : "service \"${s}\" {\n  policy = \"write\"\n}"],
  ))

  nomad_policy = length(local.nomad_services) == 0 ? null : join("\n", [
    "# Nomad ACL policy of the wasm plugin's lookup token (plugin nomad { token }): the ${var.name} Wasm services call ${join(", ", local.nomad_services)} by name.service.nomad in their namespace.",
    "namespace \"${var.name}\" {\n  capabilities = [\"read-job\"]\n}",
  ])
}
