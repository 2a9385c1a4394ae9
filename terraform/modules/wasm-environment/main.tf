# What a team gets per environment: a namespace whose services must pass
# the signature mode set here, the Wasm services deployed by digest with
# their grants, other jobs beside them, and the Vault/Consul policy texts
# those services need. dev and prod differ only in variables.

resource "nomadwasm_namespace" "this" {
  name        = var.name
  description = var.description != "" ? var.description : "${var.name} environment (Wasm services under signature mode ${var.signature_mode})"
  meta = {
    "nomad-driver-wasm/signature-mode" = var.signature_mode
  }
  capabilities {
    enabled_task_drivers = var.enabled_task_drivers
  }
}

resource "nomadwasm_service" "this" {
  for_each = var.services

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
  allow_services     = each.value.allow_services
  vault_policies     = each.value.secrets == null ? null : ["${var.name}-wasm-services"]
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

locals {
  secret_paths = distinct(flatten([for s in values(var.services) : [for secret in values(coalesce(s.secrets, {})) : secret.path]]))
  discovered   = distinct(flatten([for s in values(var.services) : coalesce(s.allow_services, [])]))

  vault_policy = join("\n", concat(
    ["# Vault policy ${var.name}-wasm-services: read-only access to the secrets the ${var.name} Wasm services name."],
    [for p in local.secret_paths : "path \"${p}\" {\n  capabilities = [\"read\"]\n}"],
    length(local.secret_paths) == 0 ? ["path \"${var.vault_kv_mount}/data/${var.name}/*\" {\n  capabilities = [\"read\"]\n}"] : [],
  ))

  consul_policy = join("\n", concat(
    ["# Consul ACL policy for the ${var.name} Wasm services: register their own services, discover the allowed ones."],
    ["service_prefix \"${var.name}-\" {\n  policy = \"write\"\n}"],
    [for s in local.discovered : "service \"${s}\" {\n  policy = \"read\"\n}"],
  ))
}
