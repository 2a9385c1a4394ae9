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

run "plugin_vault_consul_and_nomad_blocks_of_the_driver" {
  command = plan

  variables {
    http_port   = 14646
    vault       = { address = "https://vault.internal:8200", ca_file = "/etc/nomad.d/vault-ca.pem" }
    consul      = { address = "127.0.0.1:8500", token = "agent-token" }
    wasm_vault  = { namespace = "team-a", static_secret_refresh = "2m", request_timeout = "5s" }
    wasm_consul = { token = "driver-read-token", namespace = "team-a" }
    wasm_nomad  = { token = "driver-nomad-token" }
  }

  assert {
    condition     = length(regexall("(?s)plugin \"wasm\" \\{.*\\n    vault \\{\\s+address = \"https://vault.internal:8200\"\\s+ca_cert = \"/etc/nomad.d/vault-ca.pem\"\\s+namespace = \"team-a\"\\s+static_secret_refresh = \"2m\"\\s+request_timeout = \"5s\"\\s+\\}", output.client_hcl)) == 1
    error_message = "the plugin's vault block must take the agent's Vault address and CA by default, with the driver's own settings"
  }
  assert {
    condition     = length(regexall("(?s)plugin \"wasm\" \\{.*\\n    consul \\{\\s+address = \"127.0.0.1:8500\"\\s+token = \"driver-read-token\"\\s+namespace = \"team-a\"\\s+\\}", output.client_hcl)) == 1
    error_message = "the plugin's consul block must use the agent's Consul address with the driver's own token"
  }
  assert {
    condition     = !strcontains(split("plugin \"wasm\" {", output.client_hcl)[1], "agent-token")
    error_message = "the agent's Consul token must never reach the plugin block"
  }
  assert {
    condition     = length(regexall("(?s)plugin \"wasm\" \\{.*\\n    nomad \\{\\s+address = \"http://127.0.0.1:14646\"\\s+token = \"driver-nomad-token\"\\s+\\}", output.client_hcl)) == 1
    error_message = "the plugin's nomad block must point at this client's own HTTP API, with the driver's token"
  }
}

run "plugin_blocks_without_agent_integration" {
  command = plan

  variables {
    bind_addr   = "10.1.2.3"
    wasm_vault  = { address = "http://vault.lab:8200", tls_skip_verify = true }
    wasm_consul = { address = "https://consul.lab:8501", ca_cert = "/etc/consul.d/ca.pem" }
  }

  assert {
    condition     = length(regexall("\\n    vault \\{\\s+address = \"http://vault.lab:8200\"\\s+tls_skip_verify = true\\s+\\}", output.client_hcl)) == 1 && !strcontains(output.client_hcl, "\nvault {")
    error_message = "wasm_vault alone renders the plugin's vault block and no agent vault block"
  }
  assert {
    condition     = length(regexall("\\n    consul \\{\\s+address = \"https://consul.lab:8501\"\\s+ca_cert = \"/etc/consul.d/ca.pem\"\\s+\\}", output.client_hcl)) == 1 && !strcontains(output.client_hcl, "\nconsul {")
    error_message = "wasm_consul alone renders the plugin's consul block and no agent consul block"
  }
  assert {
    condition     = strcontains(output.client_hcl, "address = \"http://10.1.2.3:4646\"")
    error_message = "the nomad block must reach the client's API at its bind_addr"
  }
}

run "no_vault_no_plugin_vault_block" {
  command = plan

  assert {
    condition     = !strcontains(output.client_hcl, "vault {") && !strcontains(output.client_hcl, "consul {")
    error_message = "without vault or consul inputs neither the agent nor the plugin gets a vault or consul block"
  }
}

run "rejects_a_plugin_vault_without_address" {
  command = plan
  variables {
    wasm_vault = { namespace = "team-a" }
  }
  expect_failures = [output.client_hcl]
}

run "rejects_a_bad_plugin_vault_duration" {
  command = plan
  variables {
    wasm_vault = { address = "https://vault:8200", request_timeout = "10 seconds" }
  }
  expect_failures = [var.wasm_vault]
}

run "rejects_a_consul_ca_without_https" {
  command = plan
  variables {
    wasm_consul = { address = "127.0.0.1:8500", ca_cert = "/etc/consul.d/ca.pem" }
  }
  expect_failures = [var.wasm_consul]
}

run "rejects_a_nomad_address_with_a_path" {
  command = plan
  variables {
    wasm_nomad = { address = "http://127.0.0.1:4646/v1" }
  }
  expect_failures = [var.wasm_nomad]
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

run "pooled_isolation_is_rendered_only_when_chosen" {
  command = plan

  variables {
    wasm = { isolation = "pooled", pool_max_tasks = 16 }
  }

  assert {
    condition     = length(regexall("(?s)plugin \"wasm\" \\{.*isolation\\s+= \"pooled\"\\s+pool_max_tasks\\s+= 16", output.client_hcl)) == 1
    error_message = "isolation = \"pooled\" and pool_max_tasks must be rendered in the plugin's config"
  }
}

run "process_isolation_renders_nothing_new" {
  command = plan

  assert {
    condition     = !strcontains(output.client_hcl, "isolation") && !strcontains(output.client_hcl, "pool_max_tasks")
    error_message = "the default tier must not add lines to the rendered config"
  }
}

run "unknown_isolation_is_refused" {
  command = plan

  variables {
    wasm = { isolation = "thread" }
  }

  expect_failures = [var.wasm]
}

run "no_policy_block_without_policy_settings" {
  command = plan

  assert {
    condition     = !strcontains(output.client_hcl, "policy {")
    error_message = "without policy settings the plugin config has no policy block"
  }
}

run "policy_with_bundles_downloaded_and_checked_by_the_bootstrap" {
  command = plan
  variables {
    policy = {
      bundle_url          = "https://policies.example.com/node-v3.tar.gz"
      bundle_sha256       = "4444444444444444444444444444444444444444444444444444444444444444"
      decision_log        = "/var/log/nomad-driver-wasm/decisions.log"
      decision_log_inputs = true
      namespaces = {
        prod = {
          mode               = "enforce"
          require_provenance = true
          require_sbom       = true
          bundle_url         = "https://policies.example.com/prod-v7.tar.gz"
          bundle_sha256      = "5555555555555555555555555555555555555555555555555555555555555555"
        }
        dev = { mode = "warn" }
      }
    }
  }

  assert {
    condition     = strcontains(output.client_hcl, "    policy {\n      bundle = \"/etc/nomad.d/policies/node/bundle.tar.gz\"\n")
    error_message = "the node's bundle must be the path the bootstrap downloads it to"
  }
  assert {
    condition     = strcontains(output.client_hcl, "      decision_log        = \"/var/log/nomad-driver-wasm/decisions.log\"\n      decision_log_inputs = true\n      job_history         = true\n")
    error_message = "the decision log settings must be rendered"
  }
  assert {
    condition     = strcontains(output.client_hcl, "      namespace \"prod\" {\n        mode = \"enforce\"\n        bundle = \"/etc/nomad.d/policies/ns-prod/bundle.tar.gz\"\n        require_provenance = true\n        require_sbom = true\n      }")
    error_message = "prod's rule must carry its mode, its own bundle and its requirements"
  }
  assert {
    condition     = strcontains(output.client_hcl, "      namespace \"dev\" {\n        mode = \"warn\"\n      }")
    error_message = "dev's rule inherits the rest"
  }
  assert {
    condition     = strcontains(output.bootstrap_script, "install_checked policy-node \"https://policies.example.com/node-v3.tar.gz\" \"4444444444444444444444444444444444444444444444444444444444444444\" \"/etc/nomad.d/policies/node\" keep_bundle")
    error_message = "the bootstrap must download the node's bundle and refuse it on a checksum mismatch"
  }
  assert {
    condition     = strcontains(output.bootstrap_script, "install_checked policy-ns-prod \"https://policies.example.com/prod-v7.tar.gz\" \"5555555555555555555555555555555555555555555555555555555555555555\" \"/etc/nomad.d/policies/ns-prod\" keep_bundle")
    error_message = "the bootstrap must download prod's bundle too"
  }
}

run "policy_with_a_bundle_already_on_the_node" {
  command = plan
  variables {
    policy = { bundle = "/srv/policy/admission.tar.gz", mode = "warn", query = "acme/admission/decision" }
  }

  assert {
    condition     = strcontains(output.client_hcl, "      mode = \"warn\"\n      bundle = \"/srv/policy/admission.tar.gz\"\n      query = \"acme/admission/decision\"\n")
    error_message = "a node path is used as it is"
  }
  assert {
    condition     = !strcontains(output.bootstrap_script, "install_checked policy-")
    error_message = "nothing to download for a bundle already on the node"
  }
}

run "rejects_a_bundle_given_twice" {
  command = plan
  variables {
    policy = { bundle = "/srv/p.tar.gz", bundle_url = "https://x.example.com/p.tar.gz", bundle_sha256 = "4444444444444444444444444444444444444444444444444444444444444444" }
  }
  expect_failures = [var.policy]
}

run "rejects_a_bundle_url_without_checksum" {
  command = plan
  variables {
    policy = { namespaces = { prod = { bundle_url = "https://x.example.com/p.tar.gz" } } }
  }
  expect_failures = [var.policy]
}

run "rejects_an_unknown_policy_mode" {
  command = plan
  variables {
    policy = { bundle = "/srv/p.tar.gz", mode = "strict" }
  }
  expect_failures = [var.policy]
}
