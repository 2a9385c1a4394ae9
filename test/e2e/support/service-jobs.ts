// Job files for the service-discovery e2e tests: a Wasm service
// (service-probe) with a service block, non-Wasm backends and clients run
// by raw_exec under Node, all submitted with `nomad job run`.
import { join } from 'node:path';
import { REPO_ROOT } from './nomad-agent.ts';

const SUPPORT = join(REPO_ROOT, 'test/e2e/support/services');

export interface ProbeJob {
  readonly id: string;
  readonly artifactBaseUrl: string;
  /** The whole `service { ... }` block(s) of the task, or none. */
  readonly service?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Extra lines of the task's config block (allow_services, pass_env, ...). */
  readonly config?: string;
  /** Extra lines of the task (shutdown_delay, kill_timeout, env {}, ...). */
  readonly task?: string;
  /** `restart { ... }` of the group; default: no restarts. */
  readonly restart?: string;
  readonly count?: number;
  /** A group-level `service { ... }` block. */
  readonly groupService?: string;
}

export function probeJob(job: ProbeJob): string {
  const env = Object.entries(job.env ?? {})
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join(', ');
  return `
job "${job.id}" {
  type = "service"
  group "g" {
    count = ${job.count ?? 1}
    network {
      port "http" {}
    }
    ${job.restart ?? 'restart {\n      attempts = 0\n      mode     = "fail"\n    }'}
    reschedule {
      attempts  = 0
      unlimited = false
    }
    ${job.groupService ?? ''}
    task "t" {
      driver = "wasm"
      ${job.task ?? ''}
      artifact {
        source      = "${job.artifactBaseUrl}/service-probe.wasm"
        destination = "local/service-probe.wasm"
        mode        = "file"
      }
      config {
        component = "local/service-probe.wasm"
        port      = "http"
        env       = { ${env} }
        ${job.config ?? ''}
      }
      ${job.service ?? ''}
      resources {
        cpu    = 100
        memory = 128
      }
    }
  }
}`;
}

/** Node backends on raw_exec, registered by Nomad as `name` with an http check. */
export function backendJob(
  id: string,
  name: string,
  options: { provider?: 'consul' | 'nomad'; count?: number } = {},
): string {
  const provider = options.provider ?? 'consul';
  return `
job "${id}" {
  type = "service"
  group "g" {
    count = ${options.count ?? 2}
    network {
      port "http" {}
    }
    task "backend" {
      driver = "raw_exec"
      config {
        command = "${process.execPath}"
        args    = ["${join(SUPPORT, 'backend.mjs')}"]
      }
      service {
        provider = "${provider}"
        name     = "${name}"
        port     = "http"
        check {
          type     = "http"
          path     = "/health"
          interval = "1s"
          timeout  = "1s"
        }
      }
      resources {
        cpu    = 50
        memory = 64
      }
    }
  }
}`;
}

/** A non-Wasm client that finds `service` through Consul (a template) and calls its /call/ route. */
export function clientJob(id: string, service: string): string {
  return `
job "${id}" {
  type = "service"
  group "g" {
    task "client" {
      driver = "raw_exec"
      template {
        data        = "{{ range service \\"${service}\\" }}{{ .Address }}:{{ .Port }}\\n{{ end }}"
        destination = "local/upstreams"
        change_mode = "noop"
      }
      config {
        command = "${process.execPath}"
        args    = ["${join(SUPPORT, 'client.mjs')}"]
      }
      resources {
        cpu    = 50
        memory = 64
      }
    }
  }
}`;
}
