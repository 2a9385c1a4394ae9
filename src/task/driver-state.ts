// What the plugin hands Nomad as `TaskHandle.driver_state`, and gets back in
// RecoverTask after a plugin or agent restart. Nomad does not persist the
// task's driver config, so everything recovery needs must be in here.
import { DriverError } from '../errors.js';

export const TASK_HANDLE_VERSION = 1;

export interface DriverState {
  readonly version: 1;
  /** The task host process (its own session: pid == process group id). */
  readonly pid: number;
  /** /proc start time of that pid, so a reused pid is never mistaken for the task. */
  readonly startTicks: number;
  readonly startedAtMs: number;
  /** Private per-task directory holding the exit status file. */
  readonly stateDir: string;
  readonly world: 'command' | 'http';
  readonly digest: string;
  readonly port?: number;
  /** Set when the task runs in a pool host (`isolation = "pooled"`): then pid and startTicks are the pool's. */
  readonly pooled?: true;
}

export function encodeDriverState(state: DriverState): Buffer {
  return Buffer.from(JSON.stringify(state));
}

export function decodeDriverState(bytes: Uint8Array): DriverState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new DriverError('TASK_RECOVER_FAILED', 'driver state in the task handle is not JSON written by this driver', {
      cause: err,
    });
  }
  if (!isDriverState(parsed)) {
    throw new DriverError(
      'TASK_RECOVER_FAILED',
      'driver state in the task handle has an unknown version or is missing fields',
    );
  }
  return parsed;
}

function isDriverState(value: unknown): value is DriverState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v['version'] === 1 &&
    typeof v['pid'] === 'number' &&
    typeof v['startTicks'] === 'number' &&
    typeof v['startedAtMs'] === 'number' &&
    typeof v['stateDir'] === 'string' &&
    (v['world'] === 'command' || v['world'] === 'http') &&
    typeof v['digest'] === 'string' &&
    (v['pooled'] === undefined || v['pooled'] === true)
  );
}
