# Everything a machine needs to join a Nomad cluster as a mixed node: the
# client configuration (wasm plugin beside container drivers), a bootstrap
# script that installs pinned, checksum-checked Nomad, Node.js and the
# driver, and a cloud-init document carrying both for any cloud's user_data.

locals {
  plugin_dir = "${var.install_dir}/plugins"

  # exec stays fingerprinted unless turned off; docker and raw_exec need a plugin block.
  client_options = merge(
    var.client_options,
    var.container_drivers.exec ? {} : { "driver.denylist" = join(",", compact([lookup(var.client_options, "driver.denylist", ""), "exec"])) },
  )

  # The plugin's own vault block: Nomad gives tasks a Vault token but no
  # address, so the driver is told where Vault is (the agent's by default).
  plugin_vault_address = try(coalesce(try(var.wasm_vault.address, null), try(var.vault.address, null)), null)
  plugin_vault = var.wasm_vault == null && var.vault == null ? null : {
    address               = local.plugin_vault_address
    ca_cert               = try(coalesce(try(var.wasm_vault.ca_cert, null), try(var.vault.ca_file, null)), null)
    namespace             = try(var.wasm_vault.namespace, null)
    static_secret_refresh = try(var.wasm_vault.static_secret_refresh, null)
    request_timeout       = try(var.wasm_vault.request_timeout, null)
    tls_skip_verify       = try(var.wasm_vault.tls_skip_verify, false)
  }

  # The plugin's consul block (allow_services lookups): the agent's Consul
  # address by default, never the agent's token.
  agent_consul_address = try(var.consul.ssl ? "https://${var.consul.address}" : var.consul.address, null)
  plugin_consul = var.wasm_consul == null && var.consul == null ? null : {
    address   = try(coalesce(try(var.wasm_consul.address, null), local.agent_consul_address), null)
    token     = try(var.wasm_consul.token, null)
    ca_cert   = try(var.wasm_consul.ca_cert, null)
    namespace = try(var.wasm_consul.namespace, null)
    partition = try(var.wasm_consul.partition, null)
  }

  # The plugin's nomad block (name.service.nomad lookups): this client's own
  # HTTP API unless told otherwise.
  local_api_host = (contains(["0.0.0.0", "::", "[::]"], var.bind_addr) || startswith(var.bind_addr, "127.")) ? "127.0.0.1" : (can(regex("^[0-9.]+$", var.bind_addr)) ? var.bind_addr : null)
  plugin_nomad = {
    address = try(coalesce(try(var.wasm_nomad.address, null), local.local_api_host == null ? null : "http://${local.local_api_host}:${var.http_port}"), null)
    token   = try(var.wasm_nomad.token, null)
    ca_cert = try(var.wasm_nomad.ca_cert, null)
  }

  # Policy bundles the bootstrap downloads (bundle_url), and where they land on the node.
  policy_rules = merge(
    { node = var.policy },
    { for name, rule in var.policy.namespaces : "ns-${name}" => rule },
  )
  policy_downloads = {
    for key, rule in local.policy_rules : key => {
      url    = rule.bundle_url
      sha256 = rule.bundle_sha256
      dir    = "${var.config_dir}/policies/${key}"
    } if rule.bundle_url != null
  }
  policy_bundle_of = {
    for key, rule in local.policy_rules :
    key => rule.bundle_url != null ? "${var.config_dir}/policies/${key}/bundle.tar.gz" : rule.bundle
  }
  policy = {
    mode                = var.policy.mode
    bundle              = local.policy_bundle_of["node"]
    query               = var.policy.query
    require_provenance  = var.policy.require_provenance
    require_sbom        = var.policy.require_sbom
    decision_log        = var.policy.decision_log
    decision_log_inputs = var.policy.decision_log_inputs
    job_history         = var.policy.job_history
    namespaces = {
      for name, rule in var.policy.namespaces : name => merge(rule, { bundle = local.policy_bundle_of["ns-${name}"] })
    }
  }
  # The block is written only when it says something: a mode, a bundle, a requirement or a namespace rule.
  policy_set = var.policy.mode != null || local.policy.bundle != null || var.policy.require_provenance || var.policy.require_sbom || length(var.policy.namespaces) > 0

  client_hcl = templatefile("${path.module}/templates/client.hcl.tftpl", {
    region              = var.region
    datacenter          = var.datacenter
    node_name           = var.node_name
    node_class          = var.node_class
    meta                = var.meta
    options             = local.client_options
    data_dir            = var.data_dir
    plugin_dir          = local.plugin_dir
    bind_addr           = var.bind_addr
    advertise_addr      = var.advertise_addr
    http_port           = var.http_port
    servers             = var.servers
    network_interface   = var.network_interface
    vault               = var.vault
    consul              = var.consul
    plugin_vault        = local.plugin_vault
    plugin_consul       = local.plugin_consul
    plugin_nomad        = local.plugin_nomad
    drivers             = var.container_drivers
    wasm                = var.wasm
    registries          = var.registries
    signatures          = var.signatures
    policy              = local.policy_set ? local.policy : null
    extra_client_config = var.extra_client_config
  })

  bootstrap_script = templatefile("${path.module}/templates/bootstrap.sh.tftpl", {
    install_dir     = var.install_dir
    config_dir      = var.config_dir
    data_dir        = var.data_dir
    http_port       = var.http_port
    service_manager = var.service_manager
    nomad           = var.nomad
    nodejs          = var.nodejs
    driver          = var.driver
    client_hcl      = local.client_hcl
    policy_bundles  = local.policy_downloads
  })

  bootstrap_path = "${var.install_dir}/bootstrap.sh"

  cloud_init = join("\n", [
    "#cloud-config",
    yamlencode({
      write_files = [{
        path        = local.bootstrap_path
        permissions = "0700"
        owner       = "root:root"
        encoding    = "b64"
        content     = base64encode(local.bootstrap_script)
      }]
      runcmd = [["/bin/sh", local.bootstrap_path]]
    }),
  ])

  # The bootstrap writes the stop script; nothing to stop where it never ran.
  stop_command = "if [ -x '${var.install_dir}/nomad-client-stop' ]; then '${var.install_dir}/nomad-client-stop'; fi"
}
