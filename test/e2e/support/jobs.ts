// Job files for the suite: the examples in jobs/ as users run them, and a
// small builder for one-task wasm jobs used by the lifecycle tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './nomad-agent.ts';

export function exampleJob(file: string): string {
  return readFileSync(join(REPO_ROOT, 'jobs', file), 'utf8');
}

export interface WasmJobSpec {
  readonly id: string;
  readonly type: 'batch' | 'service';
  /** Name of a test component, fetched into local/ by an artifact block... */
  readonly component: string;
  /** ...or, instead, the `component` value itself (oci://…, https://…), with no artifact block. */
  readonly source?: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly passEnv?: readonly string[];
  readonly taskEnv?: Readonly<Record<string, string>>;
  readonly port?: boolean;
  readonly killTimeout?: string;
  /** The task's kill_signal (Nomad's default: SIGINT). */
  readonly killSignal?: string;
  /** Raw HCL for the config block instead of the generated one (for malformed-config tests). */
  readonly rawConfig?: string;
  /** Raw HCL added to the config block (mount blocks, allow_http, ...). */
  readonly extraConfig?: string;
  /** Raw HCL added to the task (template blocks, ...). */
  readonly extraTask?: string;
  readonly memoryMb?: number;
}

export function wasmJob(spec: WasmJobSpec, artifactBaseUrl: string): string {
  const hcl = (value: unknown): string => JSON.stringify(value);
  const config =
    spec.rawConfig ??
    [
      `component = "${spec.source ?? `local/${spec.component}.wasm`}"`,
      spec.args ? `args = ${hcl(spec.args)}` : '',
      spec.env
        ? `env = { ${Object.entries(spec.env)
            .map(([k, v]) => `${k} = ${hcl(v)}`)
            .join(', ')} }`
        : '',
      spec.passEnv ? `pass_env = ${hcl(spec.passEnv)}` : '',
      spec.port ? 'port = "http"' : '',
      spec.extraConfig ?? '',
    ].join('\n        ');
  return `
job "${spec.id}" {
  type = "${spec.type}"
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    ${spec.type === 'service' ? 'reschedule {\n      attempts  = 0\n      unlimited = false\n    }' : ''}
    ${spec.port ? 'network {\n      port "http" {}\n    }' : ''}
    task "t" {
      driver = "wasm"
      ${spec.killTimeout ? `kill_timeout = "${spec.killTimeout}"` : ''}
      ${spec.killSignal ? `kill_signal = "${spec.killSignal}"` : ''}
      ${
        spec.source
          ? ''
          : `artifact {
        source      = "${artifactBaseUrl}/${spec.component}.wasm"
        destination = "local/${spec.component}.wasm"
        mode        = "file"
      }`
      }
      ${
        spec.taskEnv
          ? `env {\n        ${Object.entries(spec.taskEnv)
              .map(([k, v]) => `${k} = ${hcl(v)}`)
              .join('\n        ')}\n      }`
          : ''
      }
      ${spec.extraTask ?? ''}
      config {
        ${config}
      }
      resources {
        cpu    = 100
        memory = ${spec.memoryMb ?? 64}
      }
    }
  }
}`;
}
