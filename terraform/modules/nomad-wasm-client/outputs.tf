output "client_hcl" {
  description = "The Nomad client configuration (HCL): plugin_dir, the wasm plugin block (with its own vault, consul and nomad blocks) and the container drivers. Sensitive: it can hold registry, Consul and Nomad credentials."
  value       = local.client_hcl
  sensitive   = true

  precondition {
    condition     = local.plugin_vault == null ? true : local.plugin_vault.address != null
    error_message = "wasm_vault needs an address when the vault input (the agent's Vault) is null."
  }
  precondition {
    condition     = var.wasm_nomad == null ? true : local.plugin_nomad.address != null
    error_message = "wasm_nomad needs an address: bind_addr is not an IP the driver could reach this client's HTTP API at."
  }
}

output "bootstrap_script" {
  description = "POSIX sh script that installs pinned, checksum-checked Nomad, Node.js and the driver, writes client_hcl and starts the client (systemd or direct)."
  value       = local.bootstrap_script
  sensitive   = true
}

output "cloud_init" {
  description = "cloud-init document (#cloud-config) that writes and runs bootstrap_script: give it to any cloud's instance user_data."
  value       = local.cloud_init
  sensitive   = true
}

output "cloud_init_base64" {
  description = "cloud_init, base64-encoded (Azure custom_data, AWS user_data_base64, launch templates)."
  value       = base64encode(local.cloud_init)
  sensitive   = true
}

output "stop_command" {
  description = "Shell command that stops the client the bootstrap started (systemd unit or background process)."
  value       = local.stop_command
}

output "plugin_dir" {
  description = "The client's plugin_dir (holds the wasm launcher)."
  value       = local.plugin_dir
}

output "node_class" {
  description = "node_class of the client, for job constraints (nomadwasm_service.node_class)."
  value       = var.node_class
}
