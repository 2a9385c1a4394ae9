// Runs a wasi:cli command in a worker thread of its task host, for tasks
// with Vault secrets: the guest holds this thread while it runs, so the
// task host's main thread stays free to renew leases, publish task events
// and revoke the leases when the task is stopped. Secret values come from
// shared memory (shared-secrets.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { describeError } from '../errors.js';
import type { PreparedComponent } from '../runtime/component-cache.js';
import type { Grants } from '../ipc/grants.js';
import { runCommand } from '../runtime/run-command.js';
import { notice, useTaskOutput } from '../runtime/task-output.js';
import { sharedSecretKeys } from './shared-secrets.js';
import type { TaskTelemetrySpec } from '../telemetry/identity.js';

export interface CommandWorkerData {
  readonly component: PreparedComponent;
  readonly grants: Grants;
  readonly secrets: SharedArrayBuffer;
  readonly stdout: number;
  readonly stderr: number;
  /** The task's telemetry: this thread exports its own spans (the command's run, its config reads). */
  readonly telemetry?: TaskTelemetrySpec;
}

/** What the worker posts when the command has finished. */
export interface CommandWorkerResult {
  readonly code: number;
}

const data = workerData as CommandWorkerData;
useTaskOutput(data.stdout, data.stderr);
const telemetry = data.telemetry
  ? await (
      await import('./telemetry.js')
    ).startHostTelemetry(data.telemetry, { digest: data.component.digest, world: data.component.world }, (message) =>
      notice(message),
    )
  : undefined;
let code: number;
try {
  code = await runCommand(
    data.component,
    data.grants,
    sharedSecretKeys(data.secrets),
    undefined,
    undefined,
    telemetry?.task,
  );
} catch (err) {
  notice(`command failed: ${describeError(err)}`);
  code = 1;
}
await telemetry?.flush();
parentPort?.postMessage({ code } satisfies CommandWorkerResult);
