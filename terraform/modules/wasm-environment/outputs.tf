output "namespace" {
  description = "The environment's Nomad namespace."
  value       = nomadwasm_namespace.this.name
}

output "signature_rule" {
  description = "The rule every client must apply to this namespace: put it in the client module's signatures.namespaces[<namespace>]."
  value = {
    mode        = var.signature_mode
    public_keys = var.public_keys
  }
}

output "policy_rule" {
  description = "The admission policy every client must apply to this namespace: put it in the client module's policy.namespaces[<namespace>] (null without a policy). Requirements left false are left out, so they never loosen a node that requires them."
  value = var.policy == null ? null : {
    mode               = var.policy.mode
    bundle             = var.policy.bundle
    bundle_url         = var.policy.bundle_url
    bundle_sha256      = var.policy.bundle_sha256
    query              = var.policy.query
    require_provenance = var.policy.require_provenance ? true : null
    require_sbom       = var.policy.require_sbom ? true : null
  }
}

output "services" {
  description = "Deployed Wasm services by name: job ID, component, grants, job version and deployment."
  value = {
    for k, s in nomadwasm_service.this : k => {
      job_id            = s.name
      component         = s.component
      grants            = s.grants
      job_version       = s.job_version
      deployment_id     = s.deployment_id
      deployment_status = s.deployment_status
    }
  }
}

output "jobs" {
  description = "Other jobs by name: job ID and namespace."
  value       = { for k, j in nomadwasm_job.this : k => j.name }
}

output "vault_policy" {
  description = "Vault policy text (HCL) the task tokens of the environment's services with secrets need: read on every secret path, renew and revoke of their leases (sys/leases/revoke is not in Vault's default policy). Write it as policy vault_policy_name; the services' vault_policies name it. null when no service has secrets."
  value       = local.vault_policy
}

output "vault_policy_name" {
  description = "Name the services' tokens ask Vault for (their vault_policies): <name>-wasm-services."
  value       = local.vault_policy_name
}

output "consul_policy" {
  description = "Consul ACL policy text (HCL) for the wasm plugin's own lookup token (the client module's wasm_consul.token): service:read on the Consul services the environment's services call by name (allow_services), node:read, and key_prefix write on the prefixes of their key-value stores without a token_secret (those use this token). Least privilege: a service not listed fails the task with SERVICE_LOOKUP_DENIED. null when no service calls a Consul service or has such a store."
  value       = local.consul_policy
}

output "consul_registration_policy" {
  description = "Consul ACL rules (HCL) the Nomad client agent's Consul token (the client module's consul.token) needs to register the environment's services that use register_with = \"consul\" (service:write on each); add them to the agent token's policy. null when none registers with Consul."
  value       = local.consul_registration_policy
}

output "nomad_policy" {
  description = "Nomad ACL policy text (HCL) for the wasm plugin's Nomad token (the client module's wasm_nomad.token) when services call name.service.nomad services: read-job in the environment's namespace. null when none does."
  value       = local.nomad_policy
}
