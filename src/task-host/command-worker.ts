// Runs a wasi:cli command in a worker thread of its task host, for tasks
// with Vault secrets: the guest holds this thread while it runs, so the
// task host's main thread stays free to renew leases, publish task events
// and revoke the leases when the task is stopped. Secret values come from
// shared memory (shared-secrets.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { codedMessage } from '../errors.js';
import type { PreparedComponent } from '../runtime/component-cache.js';
import type { Grants } from '../ipc/grants.js';
import type { KeyValueBackend } from '../spin/granted-stores.js';
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
  /** Where the task's key-value stores live (LaunchSpec.keyValue). */
  readonly keyValue?: KeyValueBackend;
}

/** What the worker posts when the command has finished. */
export interface CommandWorkerResult {
  readonly code: number;
  /** `[CODE] message` when the command could not run (it was already reported ready). */
  readonly err?: string;
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
let result: CommandWorkerResult;
try {
  result = {
    code: await runCommand(
      data.component,
      data.grants,
      sharedSecretKeys(data.secrets),
      undefined,
      undefined,
      telemetry?.task,
      data.keyValue,
    ),
  };
} catch (err) {
  notice(`command failed: ${codedMessage(err)}`);
  result = { code: 1, err: codedMessage(err) };
}
await telemetry?.flush();
parentPort?.postMessage(result);
