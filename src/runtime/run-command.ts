// Runs a wasi:cli command component to completion and returns its exit code.
// Guest stdout/stderr go to this process's stdout/stderr (Nomad's log FIFOs).
// A WASI 0.3 command (its world says so: component-world.ts) runs in
// run-command-p3.ts.
import { DriverError } from '../errors.js';
import { GuestExit } from '../wasi/cli.js';
import type { PreparedComponent } from './component-cache.js';
import type { SecretKeys } from './config-view.js';
import type { Grants } from '../ipc/grants.js';
import { keepGlueCode } from './glue-code-cache.js';
import { instantiateForTask } from './task-instance.js';
import type { LinearMemoryMeter } from './linear-memory-meter.js';
import { notice, taskOutput, type TaskOutput } from './task-output.js';
import { describeTrap } from './traps.js';
import type { TaskTelemetryHooks } from '../telemetry/hooks.js';
import type { KeyValueBackend } from '../spin/granted-stores.js';

interface RunExport {
  run(): void;
}

/**
 * `output` and `meter`: a pool host's task (its own log fds, its linear memory counted).
 * `telemetry`: the run as a span with its exit code (instantiation included).
 * `keyValue`: where the task's key-value stores live (LaunchSpec.keyValue).
 */
export async function runCommand(
  component: PreparedComponent,
  grants: Grants,
  secrets?: SecretKeys,
  output: TaskOutput = taskOutput,
  meter?: LinearMemoryMeter,
  telemetry?: TaskTelemetryHooks,
  keyValue?: KeyValueBackend,
): Promise<number> {
  if (!telemetry) return run(component, grants, secrets, output, meter, undefined, keyValue);
  const ran = telemetry.commandRun();
  let code = 1;
  try {
    code = await run(component, grants, secrets, output, meter, telemetry, keyValue);
    return code;
  } finally {
    ran(code);
  }
}

async function run(
  component: PreparedComponent,
  grants: Grants,
  secrets: SecretKeys | undefined,
  output: TaskOutput,
  meter: LinearMemoryMeter | undefined,
  telemetry?: TaskTelemetryHooks,
  keyValue?: KeyValueBackend,
): Promise<number> {
  if (component.wasi === '0.3') {
    const { runCommandP3 } = await import('./run-command-p3.js');
    return runCommandP3(component, grants, secrets, output, meter, telemetry, keyValue);
  }
  const instance = await instantiateForTask(component, grants, secrets, output, meter, telemetry, keyValue);
  const runner = (instance['run'] ?? instance['wasi:cli/run@0.2.12']) as RunExport | undefined;
  if (!runner) throw new DriverError('COMPONENT_WORLD_UNSUPPORTED', 'component has no wasi:cli/run export');
  try {
    // run() returns result<_, _>; jco throws on the error case.
    runner.run();
    keepGlueCode(component);
    return 0;
  } catch (err) {
    if (err instanceof GuestExit) {
      keepGlueCode(component);
      return err.code;
    }
    notice(describeTrap(err, grants), output);
    return 1;
  }
}
