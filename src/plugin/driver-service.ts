// Nomad's Driver service mapped onto the TaskManager, in four groups: what
// the driver is, a task's lifecycle, the long-lived streams, and exec (refused).
// Each handler is thin: decode the request, call the lifecycle, shape the
// response so that no nested message Nomad dereferences is left unset.
import * as grpc from '@grpc/grpc-js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { taskConfigSpec } from '../config/task-config.js';
import { DriverError, describeError, errorCodeOf } from '../errors.js';
import type { DriverHandlers } from '../generated/hashicorp/nomad/plugins/drivers/proto/Driver.js';
import type { Duration__Output } from '../generated/google/protobuf/Duration.js';
import type { ExitResult as ExitResultMessage } from '../generated/hashicorp/nomad/plugins/drivers/proto/ExitResult.js';
import type { InspectTaskResponse } from '../generated/hashicorp/nomad/plugins/drivers/proto/InspectTaskResponse.js';
import { encodeDriverState, TASK_HANDLE_VERSION } from '../task/driver-state.js';
import type { ExitResult } from '../ipc/exit-status.js';
import type { TaskEventBus } from '../task/task-events.js';
import { execRefusalStatus, SCRIPT_CHECK_REFUSAL } from './exec-refusal.js';
import type { TaskManager } from '../task/task-manager.js';
import { taskNotFound } from '../task/task-store.js';
import type { WasmTask } from '../task/wasm-task.js';
import type { PluginSettings } from './base-service.js';
import { fingerprint, FINGERPRINT_PERIOD_MS } from './fingerprint.js';
import { rpcStatus, startTaskStatus } from './grpc-errors.js';
import { writeMessage, untilCancelled } from './stream-writer.js';
import { coreMhz, taskStatsMessage, type CpuWindow } from './task-stats.js';

/** Go's zero time.Time, which Nomad expects for "not completed yet". */
const GO_ZERO_TIME = { seconds: '-62135596800', nanos: 0 };

export interface DriverServiceDeps {
  readonly manager: TaskManager;
  readonly events: TaskEventBus;
  readonly settings: PluginSettings;
  readonly log: Logger;
  /** Called when Nomad starts streaming fingerprints (the long-lived plugin instance): starts telemetry. */
  readonly onFingerprint?: () => unknown;
}

export function driverServiceHandlers(deps: DriverServiceDeps): DriverHandlers {
  return {
    ...describeHandlers(),
    ...lifecycleHandlers(deps),
    ...streamHandlers(deps),
    ...execHandlers(deps.log),
  };
}

/** What the driver is: answers that never depend on a task. */
function describeHandlers(): Pick<
  DriverHandlers,
  'Init' | 'Shutdown' | 'TaskConfigSchema' | 'Capabilities' | 'CreateNetwork' | 'DestroyNetwork'
> {
  const unimplemented = (what: string): Partial<grpc.StatusObject> => ({
    code: grpc.status.UNIMPLEMENTED,
    details: `${what} is not supported by the wasm driver`,
  });
  return {
    Init: (_call, callback) => callback(null, {}),
    Shutdown: (_call, callback) => callback(null, {}),

    TaskConfigSchema: (_call, callback) => callback(null, { spec: taskConfigSpec }),

    Capabilities: (_call, callback) => {
      callback(null, {
        capabilities: {
          send_signals: true,
          exec: false,
          // Components see virtual paths only; Nomad then sets NOMAD_TASK_DIR
          // etc. to /local-style paths and does not merge the host env.
          fs_isolation: 'IMAGE',
          network_isolation_modes: ['HOST'],
          must_create_network: false,
          mount_configs: 'NO_MOUNTS',
          disable_log_collection: false,
          dynamic_workload_users: false,
        },
      });
    },

    CreateNetwork: (_call, callback) => callback(unimplemented('CreateNetwork')),
    DestroyNetwork: (_call, callback) => callback(unimplemented('DestroyNetwork')),
  };
}

/** A task's life: start, recover, wait, stop, destroy, inspect, signal. */
function lifecycleHandlers({
  manager,
  log,
}: DriverServiceDeps): Pick<
  DriverHandlers,
  'StartTask' | 'RecoverTask' | 'WaitTask' | 'StopTask' | 'DestroyTask' | 'InspectTask' | 'SignalTask'
> {
  return {
    StartTask: (call, callback) => {
      const config = call.request.task;
      if (!config)
        return callback(startTaskStatus(new DriverError('TASK_CONFIG_INVALID', 'StartTask without a task config')));
      manager.start(config).then(
        (task) => {
          callback(null, {
            handle: {
              version: TASK_HANDLE_VERSION,
              // Echo the config: Nomad persists it and gives its id back in RecoverTask.
              config: call.request.task,
              state: 'RUNNING',
              driver_state: encodeDriverState(task.state),
            },
          });
        },
        (err: unknown) => {
          log.error({ task_id: config.id, code: errorCodeOf(err), err: describeError(err) }, 'failed to start task');
          callback(startTaskStatus(err));
        },
      );
    },

    RecoverTask: (call, callback) => {
      const handle = call.request.handle;
      if (!handle) return callback(rpcStatus(new DriverError('TASK_RECOVER_FAILED', 'RecoverTask without a handle')));
      try {
        manager.recover(handle);
        callback(null, {});
      } catch (err) {
        log.error({ task_id: handle.config?.id, err: describeError(err) }, 'failed to recover task');
        callback(rpcStatus(err));
      }
    },

    WaitTask: (call, callback) => {
      const task = manager.tasks.find(call.request.task_id);
      if (!task) return callback(rpcStatus(taskNotFound(call.request.task_id)));
      let answered = false;
      call.once('cancelled', () => {
        answered = true;
      });
      void task.wait().then((result) => {
        if (answered) return;
        answered = true;
        callback(null, { result: exitResultMessage(result), err: result.err ?? '' });
      });
    },

    StopTask: (call, callback) => {
      manager.stop(call.request.task_id, call.request.signal, durationMs(call.request.timeout)).then(
        () => callback(null, {}),
        (err: unknown) => callback(rpcStatus(err)),
      );
    },

    DestroyTask: (call, callback) => {
      manager.destroy(call.request.task_id, call.request.force).then(
        () => callback(null, {}),
        (err: unknown) => callback(rpcStatus(err)),
      );
    },

    InspectTask: (call, callback) => {
      const task = manager.tasks.find(call.request.task_id);
      if (!task) return callback(rpcStatus(taskNotFound(call.request.task_id)));
      callback(null, inspectTaskMessage(task));
    },

    SignalTask: (call, callback) => {
      try {
        manager.tasks.get(call.request.task_id).signal(call.request.signal);
        callback(null, {});
      } catch (err) {
        callback(rpcStatus(err));
      }
    },
  };
}

/** The long-lived streams: fingerprints, task events, a task's stats. */
function streamHandlers({
  manager,
  events,
  settings,
  log,
  onFingerprint,
}: DriverServiceDeps): Pick<DriverHandlers, 'Fingerprint' | 'TaskEvents' | 'TaskStats'> {
  return {
    Fingerprint: (call) => {
      onFingerprint?.();
      void (async () => {
        while (!call.cancelled && !call.destroyed) {
          await writeMessage(call, fingerprint());
          await Promise.race([sleep(FINGERPRINT_PERIOD_MS), untilCancelled(call)]);
        }
      })();
    },

    TaskEvents: (call) => {
      // Sequential writes so back-pressure holds; the stream never ends on its own.
      let chain = Promise.resolve();
      const unsubscribe = events.subscribe((event) => {
        chain = chain.then(() =>
          writeMessage(call, {
            task_id: event.taskId,
            alloc_id: event.allocId,
            task_name: event.taskName,
            message: event.message,
            annotations: { ...event.annotations },
            timestamp: { seconds: Math.floor(event.at.getTime() / 1000), nanos: (event.at.getTime() % 1000) * 1e6 },
          }),
        );
      });
      void untilCancelled(call).then(unsubscribe);
    },

    TaskStats: (call) => {
      const task = manager.tasks.find(call.request.task_id);
      if (!task) {
        call.emit('error', rpcStatus(taskNotFound(call.request.task_id)));
        return;
      }
      const intervalMs = Math.max(100, durationMs(call.request.collection_interval) || 1000);
      const running = task;
      log.debug({ task_id: running.id, interval_ms: intervalMs }, 'task stats stream opened');
      void (async () => {
        let previous: CpuWindow | undefined;
        while (!call.cancelled && !call.destroyed) {
          const sample = await running.sample();
          if (!sample) break; // task gone: end the stream cleanly
          const now = { sample, atMs: Date.now() };
          await writeMessage(call, taskStatsMessage(running.id, now, previous, coreMhz(settings.nomad)));
          previous = now;
          await Promise.race([sleep(intervalMs), untilCancelled(call)]);
        }
        if (!call.cancelled && !call.destroyed) call.end();
      })().catch((err: unknown) => {
        log.warn({ task_id: running.id, err: describeError(err) }, 'task stats stream failed');
        call.emit('error', rpcStatus(err));
      });
    },
  };
}

/** exec: refused (components have no shell), with the reason Nomad shows. */
function execHandlers(log: Logger): Pick<DriverHandlers, 'ExecTask' | 'ExecTaskStreaming'> {
  return {
    ExecTask: (call, callback) => {
      // Only script checks call this (never their arguments in the log: they may carry secrets).
      log.debug({ task_id: call.request.task_id }, 'refused ExecTask (script check)');
      callback(execRefusalStatus(SCRIPT_CHECK_REFUSAL));
    },

    ExecTaskStreaming: (call) => {
      // Nomad's client sends its setup message first; if the stream is
      // already closed by then it reports a bare EOF instead of our status,
      // so the refusal waits for that first message (or the client's end).
      let refused = false;
      const refuse = (): void => {
        if (refused) return;
        refused = true;
        call.emit('error', execRefusalStatus());
      };
      call.once('data', refuse);
      call.once('end', refuse);
    },
  };
}

/** InspectTask's answer: state, times and exit result, with the component's attributes. */
function inspectTaskMessage(task: WasmTask): InspectTaskResponse {
  const result = task.exitResult;
  const completed = task.completedAtDate;
  return {
    task: {
      id: task.id,
      name: task.config.name,
      state: result ? 'EXITED' : 'RUNNING',
      started_at: timestamp(task.startedAt),
      completed_at: completed ? timestamp(completed) : GO_ZERO_TIME,
      result: exitResultMessage(result ?? { exitCode: 0, signal: 0, oomKilled: false }),
    },
    driver: {
      attributes: {
        pid: String(task.state.pid),
        world: task.state.world,
        digest: task.state.digest,
        ...(task.state.port !== undefined ? { port: String(task.state.port) } : {}),
        isolation: task.state.pooled ? 'pooled' : 'process',
      },
    },
  };
}

function durationMs(duration: Duration__Output | null | undefined): number {
  if (!duration) return 0;
  return Number(duration.seconds) * 1000 + Math.floor(duration.nanos / 1e6);
}

function timestamp(date: Date): { seconds: number; nanos: number } {
  const ms = date.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

function exitResultMessage(result: ExitResult): ExitResultMessage {
  return { exit_code: result.exitCode, signal: result.signal, oom_killed: result.oomKilled };
}
