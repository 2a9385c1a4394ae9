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
  description = "Vault policy text (HCL) the environment's services need for their secrets; write it as policy \"<name>-wasm-services\"."
  value       = local.vault_policy
}

output "consul_policy" {
  description = "Consul ACL policy text (HCL) the environment's services need: register their own services, read the ones they discover."
  value       = local.consul_policy
}
