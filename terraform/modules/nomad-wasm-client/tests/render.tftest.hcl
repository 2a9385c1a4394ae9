# Renders the client configuration, bootstrap and cloud-init from typed
# inputs and checks what a node would get (command = plan: no provider, no
# machine). The rendered HCL is also fed to a real Nomad 1.6.3 agent by
# test/terraform/modules.test.ts.

variables {
  servers = ["10.0.0.10:4647", "10.0.0.11:4647"]
  nomad   = { version = "1.6.3", url = "https://releases.example.com/nomad_1.6.3_linux_amd64.zip", sha256 = "1111111111111111111111111111111111111111111111111111111111111111" }
  nodejs  = { version = "24.9.0", url = "https://nodejs.example.com/node-v24.9.0-linux-x64.tar.xz", sha256 = "2222222222222222222222222222222222222222222222222222222222222222" }
  driver  = { version = "0.1.0", url = "https://downloads.example.com/nomad-driver-wasm-0.1.0-linux-x64.tar.gz", sha256 = "3333333333333333333333333333333333333333333333333333333333333333" }
}

run "defaults_render_a_mixed_node" {
  command = plan

  assert {
    condition     = strcontains(output.client_hcl, "plugin_dir = \"/opt/nomad-driver-wasm/plugins\"")
    error_message = "plugin_dir must point at the install dir's plugins/"
  }
  assert {
    condition     = strcontains(output.client_hcl, "plugin \"wasm\" {") && strcontains(output.client_hcl, "cache_dir               = \"/var/lib/nomad-driver-wasm/cache\"")
    error_message = "the wasm plugin block with its cache_dir must be rendered"
  }
  assert {
    condition     = strcontains(output.client_hcl, "plugin \"docker\" {") && !strcontains(output.client_hcl, "plugin \"raw_exec\"")
    error_message = "docker is configured beside wasm by default; raw_exec is off by default"
  }
  assert {
    condition     = strcontains(output.client_hcl, "servers    = [\"10.0.0.10:4647\",\"10.0.0.11:4647\"]")
    error_message = "the client must join the given servers"
  }
  assert {
    condition     = strcontains(output.client_hcl, "mode        = \"off\"")
    error_message = "signature mode defaults to off"
  }
}

run "signature_policy_registries_vault_and_consul" {
  command = plan

  variables {
    signatures = {
      mode        = "warn"
      public_keys = ["/etc/nomad-driver-wasm/cosign.pub"]
      namespaces = {
        prod = { mode = "enforce" }
        dev  = { public_keys = ["-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"] }
      }
    }
    registries        = [{ host = "registry.internal:5000", username = "node", password = "s3cret", insecure = true }]
    vault             = { address = "https://vault.internal:8200" }
    consul            = { address = "127.0.0.1:8500", token = "consul-token" }
    container_drivers = { docker = false, exec = false, raw_exec = true }
    wasm              = { allow_http = ["api.example.com"], max_memory_mb = 256 }
  }

  assert {
    condition     = length(regexall("namespace \"prod\" \\{\\s+mode\\s+= \"enforce\"", output.client_hcl)) == 1
    error_message = "namespace rules must be rendered as namespace blocks"
  }
  assert {
    condition     = strcontains(output.client_hcl, "public_keys = [\"-----BEGIN PUBLIC KEY-----\\nMFkw\\n-----END PUBLIC KEY-----\\n\"]")
    error_message = "inline PEM keys must be rendered as one escaped HCL string"
  }
  assert {
    condition     = strcontains(output.client_hcl, "host     = \"registry.internal:5000\"") && strcontains(output.client_hcl, "password = \"s3cret\"") && strcontains(output.client_hcl, "insecure = true")
    error_message = "registry blocks must carry host, credentials and insecure"
  }
  assert {
    condition     = strcontains(output.client_hcl, "address = \"https://vault.internal:8200\"") && strcontains(output.client_hcl, "address = \"127.0.0.1:8500\"")
    error_message = "vault and consul agent blocks must be rendered"
  }
  assert {
    condition     = strcontains(output.client_hcl, "\"driver.denylist\" = \"exec\"") && !strcontains(output.client_hcl, "plugin \"docker\"") && strcontains(output.client_hcl, "plugin \"raw_exec\"")
    error_message = "container_drivers must switch the drivers"
  }
  assert {
    condition     = strcontains(output.client_hcl, "allow_http              = [\"api.example.com\"]") && strcontains(output.client_hcl, "max_memory_mb           = 256")
    error_message = "grant ceilings must be rendered"
  }
}

run "bootstrap_pins_every_download_and_cloud_init_carries_it" {
  command = plan

  assert {
    condition     = strcontains(output.bootstrap_script, "install_checked nomad \"https://releases.example.com/nomad_1.6.3_linux_amd64.zip\" \"1111111111111111111111111111111111111111111111111111111111111111\"")
    error_message = "Nomad must be installed from the pinned URL and checked against its sha256"
  }
  assert {
    condition     = strcontains(output.bootstrap_script, "\"2222222222222222222222222222222222222222222222222222222222222222\"") && strcontains(output.bootstrap_script, "\"3333333333333333333333333333333333333333333333333333333333333333\"")
    error_message = "Node.js and the driver must be checked against their sha256"
  }
  assert {
    condition     = strcontains(output.bootstrap_script, "checksum mismatch") && strcontains(output.bootstrap_script, "systemctl enable nomad-client")
    error_message = "the bootstrap must refuse a bad checksum and know systemd"
  }
  assert {
    condition     = startswith(output.cloud_init, "#cloud-config\n") && strcontains(output.cloud_init, base64encode(output.bootstrap_script))
    error_message = "cloud_init must be a #cloud-config document carrying the bootstrap script"
  }
  assert {
    condition     = base64decode(output.cloud_init_base64) == output.cloud_init
    error_message = "cloud_init_base64 must be cloud_init, base64-encoded"
  }
}

run "rejects_enforce_without_keys" {
  command = plan
  variables {
    signatures = { mode = "enforce" }
  }
  expect_failures = [var.signatures]
}

run "rejects_a_bad_checksum" {
  command = plan
  variables {
    nomad = { version = "1.6.3", url = "https://releases.example.com/nomad_1.6.3_linux_amd64.zip", sha256 = "not-a-sha" }
  }
  expect_failures = [var.nomad]
}

run "rejects_servers_with_a_scheme" {
  command = plan
  variables {
    servers = ["http://10.0.0.10:4647"]
  }
  expect_failures = [var.servers]
}

run "rejects_node_older_than_22" {
  command = plan
  variables {
    nodejs = { version = "20.11.0", url = "https://nodejs.example.com/node-v20.11.0-linux-x64.tar.xz", sha256 = "2222222222222222222222222222222222222222222222222222222222222222" }
  }
  expect_failures = [var.nodejs]
}
