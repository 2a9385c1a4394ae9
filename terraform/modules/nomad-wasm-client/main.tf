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
    drivers             = var.container_drivers
    wasm                = var.wasm
    registries          = var.registries
    signatures          = var.signatures
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
