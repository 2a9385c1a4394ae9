// Builds the WASI host of one instance from a task's grants: guest stdio
// goes to this process's stdout/stderr (the task's log FIFOs), outbound
// decisions to the task's stderr as audit lines.
import { writeAllSync } from '../wasi/fd-output.js';
import { parseAllowEntry, type AllowEntry } from '../wasi/http-allow-list.js';
import { wasiHost, type ImportObject } from '../wasi/host.js';
import { configSource, environmentWithSecrets, NO_SECRETS, type SecretKeys } from './config-view.js';
import type { Grants } from '../ipc/grants.js';
import { mibToPages } from './memory-ceiling.js';
import type { InstantiateOptions } from './instantiate.js';
import type { LinearMemoryMeter } from './linear-memory-meter.js';
import { notice, taskOutput, type TaskOutput } from './task-output.js';
import { guestServiceRouter } from './guest-service-router.js';
import { isServiceDomain } from '../services/service-ref.js';
import type { TaskTelemetryHooks } from '../telemetry/hooks.js';
import { observedConfig } from './observed-config.js';

/**
 * `secrets`: the values the task host holds for the job's Vault secrets, if any.
 * `output`: where this task's stdio goes (a pool host runs several tasks).
 * `telemetry`: the task's hooks when telemetry is on (nothing is observed otherwise).
 */
export function hostForTask(
  grants: Grants,
  secrets: SecretKeys = NO_SECRETS,
  output: TaskOutput = taskOutput,
  telemetry?: TaskTelemetryHooks,
): ImportObject {
  const allow = grants.outboundHttp
    .map(parseAllowEntry)
    .filter((entry): entry is AllowEntry => typeof entry !== 'string');
  return wasiHost({
    args: grants.args,
    env:
      grants.config && Object.keys(grants.config.secretEnv).length > 0
        ? environmentWithSecrets(grants.env, grants.config, secrets)
        : grants.env,
    stdout: (bytes) => writeAllSync(output.stdout, bytes),
    stderr: (bytes) => writeAllSync(output.stderr, bytes),
    mounts: grants.mounts,
    outbound: {
      allow,
      ...(guestServiceRouter.router ? { services: guestServiceRouter.router } : {}),
      onDecision: ({ allowed, authority, reason }) => {
        if (allowed) return;
        const service = isServiceDomain(authority.replace(/:\d+$/, ''));
        const why =
          reason ?? (service ? "not a service in the task's allow_services list" : "not in the task's allow_http list");
        notice(`outbound HTTP to ${authority} denied: ${why}`, output);
        telemetry?.denied(service ? 'service' : 'http', authority);
      },
      ...(telemetry ? { observe: (request) => telemetry.outbound(request) } : {}),
    },
    config: telemetry
      ? observedConfig(configSource(grants.config, secrets), grants.config, telemetry)
      : configSource(grants.config, secrets),
    ...(telemetry
      ? { onFilesystemEscape: (path: string) => telemetry.denied('filesystem', path), guestSpans: telemetry.guest }
      : {}),
  });
}

/** `meter`: counts the task's linear memory (a pool host's tasks). */
export function instantiateOptions(grants: Grants, meter?: LinearMemoryMeter): InstantiateOptions {
  const memoryMaxPages = grants.memoryMaxMiB === undefined ? undefined : mibToPages(grants.memoryMaxMiB);
  return meter ? { memoryMaxPages, onCoreInstance: meter.observe } : { memoryMaxPages };
}
