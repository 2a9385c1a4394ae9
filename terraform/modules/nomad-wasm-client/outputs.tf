output "client_hcl" {
  description = "The Nomad client configuration (HCL): plugin_dir, the wasm plugin block and the container drivers. Sensitive: it can hold registry and Consul credentials."
  value       = local.client_hcl
  sensitive   = true
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
