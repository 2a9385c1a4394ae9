// Runs a WASI 0.3 wasi:cli command (export `wasi:cli/run@0.3`, an async
// function) to completion and returns its exit code: 0 when it returns ok,
// 1 when it returns err or traps, the guest's code when it calls exit.
// Guest stdout/stderr (0.2 or 0.3 interfaces) go to the task's log.
import { DriverError } from '../errors.js';
import { GuestExit } from '../wasi/cli.js';
import type { PreparedComponent } from './component-cache.js';
import type { SecretKeys } from './config-view.js';
import type { Grants } from '../ipc/grants.js';
import { keepGlueCode } from './glue-code-cache.js';
import { instantiateForTask } from './task-instance.js';
import { requireJspi } from './jspi.js';
import type { LinearMemoryMeter } from './linear-memory-meter.js';
import { notice, taskOutput, type TaskOutput } from './task-output.js';
import { describeTrap, guestErrorResult } from './traps.js';
import type { TaskTelemetryHooks } from '../telemetry/hooks.js';
import type { KeyValueBackend } from '../spin/granted-stores.js';

interface RunExport {
  run(): Promise<void>;
}

export async function runCommandP3(
  component: PreparedComponent,
  grants: Grants,
  secrets?: SecretKeys,
  output: TaskOutput = taskOutput,
  meter?: LinearMemoryMeter,
  telemetry?: TaskTelemetryHooks,
  keyValue?: KeyValueBackend,
): Promise<number> {
  requireJspi();
  const instance = await instantiateForTask(component, grants, secrets, output, meter, telemetry, keyValue);
  const runner = instance['run'] as RunExport | undefined;
  if (!runner) throw new DriverError('COMPONENT_WORLD_UNSUPPORTED', 'component has no wasi:cli/run@0.3 export');
  try {
    await runner.run();
    keepGlueCode(component);
    return 0;
  } catch (err) {
    if (err instanceof GuestExit) {
      keepGlueCode(component);
      return err.code;
    }
    if (guestErrorResult(err)) {
      keepGlueCode(component);
      return 1; // run() returned err: a failed command, not a trap
    }
    notice(describeTrap(err, grants), output);
    return 1;
  }
}
