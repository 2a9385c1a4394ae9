// The messages the plugin and a pool host exchange over the pool's control
// socket (src/task/pool-client.ts, src/pool-host/pool-server.ts).
// Newline-delimited JSON, one object a line, like control-protocol.ts.
//
// Unlike a task's control socket, this one carries launch specs, and so the
// environment a job grants its component: the socket is the pool's, mode
// 0600 in a 0700 directory, reachable by root (the plugin) only, the same
// trust as the stdin pipe that carries a task host's spec. Payloads are
// never logged. Tasks with Vault secrets never run in a pool.
import type { LaunchSpec, ProgressMessage } from './launch-spec.js';

/** Name of the socket in the pool host's working directory (reached as /proc/<pid>/cwd/pool.sock). */
export const POOL_SOCKET_NAME = 'pool.sock';

/** A pooled task's spec: the pool opens the task's log FIFOs itself, so they are always named. */
export type PooledLaunchSpec = LaunchSpec & { readonly logPaths: NonNullable<LaunchSpec['logPaths']> };

/** Plugin -> pool. */
export type PoolRequest =
  | { readonly type: 'start'; readonly spec: PooledLaunchSpec }
  /** A signal by name, with the task host's meaning (README: Signals); `SIGKILL` ends the task at once. */
  | { readonly type: 'signal'; readonly taskId: string; readonly signal: string }
  | { readonly type: 'ping'; readonly id: number }
  /** The task's linear memory (its instances'), for TaskStats. */
  | { readonly type: 'stats'; readonly taskId: string; readonly id: number };

/** Pool -> plugin. */
export type PoolReply =
  | { readonly type: 'progress'; readonly taskId: string; readonly progress: ProgressMessage }
  /** The task ended; its exit status file is written before this is sent. */
  | {
      readonly type: 'exit';
      readonly taskId: string;
      readonly exitCode: number;
      readonly signal: number;
      /** `[CODE] message` of a command that failed after it was ready. */
      readonly err?: string;
    }
  | {
      readonly type: 'event';
      readonly taskId: string;
      readonly message: string;
      readonly annotations?: Readonly<Record<string, string>>;
    }
  /** Sent to every plugin that connects: the tasks running now (a recovering plugin learns which ended). */
  | { readonly type: 'tasks'; readonly running: readonly string[] }
  | { readonly type: 'pong'; readonly id: number }
  | {
      readonly type: 'stats';
      readonly id: number;
      readonly linearMemoryBytes: number;
      readonly peakLinearMemoryBytes: number;
    };

/** Where the plugin reaches a pool host's control socket (short, whatever the pool dir's path). */
export function poolSocketPath(pid: number): string {
  return `/proc/${pid}/cwd/${POOL_SOCKET_NAME}`;
}
