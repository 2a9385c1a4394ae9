output "namespaces" {
  description = "Namespace of each environment."
  value       = { for name, env in module.environment : name => env.namespace }
}

output "services" {
  description = "Wasm services per environment (job ID, component, grants, job version, deployment)."
  value       = { for name, env in module.environment : name => env.services }
}

output "components" {
  description = "What each environment runs: digest, signer, grants its imports need."
  value = {
    for name, c in data.nomadwasm_component.release : name => {
      pinned_reference = c.pinned_reference
      digest           = c.digest
      verified         = c.verified
      signer           = c.signer
      grants_needed    = c.grants_needed
    }
  }
}

output "vault_policies" {
  description = "Vault policy text per environment."
  value       = { for name, env in module.environment : name => env.vault_policy }
}

output "consul_policies" {
  description = "Consul policy text per environment."
  value       = { for name, env in module.environment : name => env.consul_policy }
}
