// Runs a wasi:cli command component to completion and returns its exit code.
// Guest stdout/stderr go to this process's stdout/stderr (Nomad's log FIFOs).
import { DriverError } from '../errors.js';
import { GuestExit } from '../wasi/cli.js';
import type { PreparedComponent } from './component-cache.js';
import type { SecretKeys } from './config-view.js';
import type { Grants } from '../ipc/grants.js';
import type { KeyValueBackend } from '../spin/granted-stores.js';
import { keepGlueCode } from './glue-code-cache.js';
import { hostForTask, instantiateOptions } from './host-for-task.js';
import { instantiateComponent } from './instantiate.js';
import type { LinearMemoryMeter } from './linear-memory-meter.js';
import { notice, taskOutput, type TaskOutput } from './task-output.js';
import { describeTrap } from './traps.js';

interface RunExport {
  run(): void;
}

/**
 * `output` and `meter`: a pool host's task (its own log fds, its linear memory counted).
 * `keyValue`: where the task's key-value stores live (LaunchSpec.keyValue).
 */
export async function runCommand(
  component: PreparedComponent,
  grants: Grants,
  secrets?: SecretKeys,
  output: TaskOutput = taskOutput,
  meter?: LinearMemoryMeter,
  keyValue?: KeyValueBackend,
): Promise<number> {
  const instance = await instantiateComponent(
    component,
    hostForTask(grants, secrets, output, keyValue),
    instantiateOptions(grants, meter),
  );
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
