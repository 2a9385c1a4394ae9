// Runs a wasi:cli command component to completion and returns its exit code.
// Guest stdout/stderr go to this process's stdout/stderr (Nomad's log FIFOs).
import { DriverError } from '../errors.js';
import { GuestExit } from '../wasi/cli.js';
import type { PreparedComponent } from './component-cache.js';
import type { SecretKeys } from './config-view.js';
import type { Grants } from '../ipc/grants.js';
import { keepGlueCode } from './glue-code-cache.js';
import { hostForTask, instantiateOptions } from './host-for-task.js';
import { instantiateComponent } from './instantiate.js';
import type { LinearMemoryMeter } from './linear-memory-meter.js';
import { notice, taskOutput, type TaskOutput } from './task-output.js';
import { describeTrap } from './traps.js';
import type { TaskTelemetryHooks } from '../telemetry/hooks.js';

interface RunExport {
  run(): void;
}

/**
 * `output` and `meter`: a pool host's task (its own log fds, its linear memory counted).
 * `telemetry`: the run as a span with its exit code (instantiation included).
 */
export async function runCommand(
  component: PreparedComponent,
  grants: Grants,
  secrets?: SecretKeys,
  output: TaskOutput = taskOutput,
  meter?: LinearMemoryMeter,
  telemetry?: TaskTelemetryHooks,
): Promise<number> {
  if (!telemetry) return run(component, grants, secrets, output, meter);
  const ran = telemetry.commandRun();
  let code = 1;
  try {
    code = await run(component, grants, secrets, output, meter, telemetry);
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
): Promise<number> {
  const instantiated = telemetry?.instantiation('start');
  let instance: Record<string, unknown>;
  try {
    instance = await instantiateComponent(
      component,
      hostForTask(grants, secrets, output, telemetry),
      instantiateOptions(grants, meter),
    );
  } catch (err) {
    instantiated?.(err);
    throw err;
  }
  instantiated?.();
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
