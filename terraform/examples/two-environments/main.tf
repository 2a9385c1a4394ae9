# Two environments on a mixed Nomad cluster: dev and prod from the
# environment module, each with a Wasm service (by verified digest) and a
# plain raw_exec job beside it, on the cluster you have (`node = null`, the
# default: README "From a clone to two environments") or on a client node
# this apply brings up on this machine from the client module's bootstrap
# (`node = {…}`, as the test suite does). dev and prod differ only in their
# variables; promoting is `prod_digest = <dev_digest>`.

locals {
  environments = {
    dev  = { signature_mode = "warn", digest = var.dev_digest, allow_http = var.dev_allow_http }
    prod = { signature_mode = "enforce", digest = var.prod_digest, allow_http = [] }
  }
  # The class every job of the environments is pinned to: the local node's
  # (from the node resource, so jobs wait for it and go before it), else
  # var.node_class; null places them on any client with the drivers.
  placed_on = var.node == null ? var.node_class : terraform_data.node[0].output.node_class
}

# ---- The node ----------------------------------------------------------------

module "client" {
  source = "../../modules/nomad-wasm-client"
  count  = var.node == null ? 0 : 1

  servers         = var.nomad_servers
  node_name       = var.node.node_name
  node_class      = var.node.node_class
  bind_addr       = "127.0.0.1"
  advertise_addr  = "127.0.0.1"
  http_port       = var.node.http_port
  install_dir     = var.node.install_dir
  config_dir      = var.node.config_dir
  data_dir        = var.node.data_dir
  service_manager = "direct"
  nomad           = var.node.nomad
  nodejs          = var.node.nodejs
  driver          = var.node.driver

  network_interface = "lo"
  # No cloud metadata service here: do not probe for one.
  client_options    = { "fingerprint.denylist" = "env_aws,env_gce,env_azure,env_digitalocean" }
  container_drivers = { docker = true, exec = true, raw_exec = true }
  wasm              = { cache_dir = "${var.node.data_dir}/wasm-cache", max_component_mb = 64 }
  signatures = {
    mode        = "warn"
    public_keys = [var.signing_public_key]
    # Each environment's rule (what module.environment[*].signature_rule
    # outputs), from the same locals: reading the module's output here would
    # make a cycle, since its services wait for this node.
    namespaces = { for name, env in local.environments : name => { mode = env.signature_mode, public_keys = [var.signing_public_key] } }
  }
}

# Runs the rendered bootstrap on this machine, as cloud-init would run it
# on a new instance (runcmd), and stops the client on destroy.
resource "terraform_data" "node" {
  count = var.node == null ? 0 : 1

  input = {
    node_class   = var.node.node_class
    stop_command = module.client[0].stop_command
  }
  triggers_replace = [sha256(module.client[0].bootstrap_script)]

  provisioner "local-exec" {
    command     = module.client[0].bootstrap_script
    interpreter = ["/bin/sh", "-c"]
  }

  provisioner "local-exec" {
    when        = destroy
    command     = self.input.stop_command
    interpreter = ["/bin/sh", "-c"]
  }
}

# ---- The environments --------------------------------------------------------

# Each environment's component, verified at plan time the way its namespace's
# clients will admit it: prod enforces, so an unsigned digest fails the plan.
data "nomadwasm_component" "release" {
  for_each = local.environments

  reference      = "${var.component_repository}@${each.value.digest}"
  signature_mode = each.value.signature_mode
  public_keys    = [var.signing_public_key]
}

module "environment" {
  source   = "../../modules/wasm-environment"
  for_each = local.environments

  name           = each.key
  signature_mode = each.value.signature_mode
  public_keys    = [var.signing_public_key]
  # From the node resource: the services and jobs are placed once the node is
  # up, and destroyed before it goes.
  node_class         = local.placed_on
  deployment_timeout = var.deployment_timeout

  services = {
    hello = {
      component = data.nomadwasm_component.release[each.key].pinned_reference
      grants = {
        env        = { GREETING = "hello from ${each.key}" }
        allow_http = length(each.value.allow_http) > 0 ? each.value.allow_http : null
      }
    }
  }

  # raw_exec tasks: the clients must enable raw_exec (var.sidecars).
  jobs = { for name, spec in {
    sidecar = <<-HCL
      variable "namespace" {
        type = string
      }
      job "${each.key}-sidecar" {
        namespace   = var.namespace
        datacenters = ["*"]
        type        = "service"
        # Where the services go: node_class, when there is one.
        dynamic "constraint" {
          for_each = ${jsonencode(local.placed_on == null ? [] : [local.placed_on])}
          content {
            attribute = "$${node.class}"
            value     = constraint.value
          }
        }
        group "sidecar" {
          task "sidecar" {
            driver = "raw_exec"
            config {
              command = "/bin/sh"
              args    = ["-c", "echo ${each.key} sidecar up; while true; do sleep 5; done"]
            }
            resources {
              cpu    = 20
              memory = 16
            }
          }
        }
      }
    HCL
  } : name => spec if var.sidecars }
}
