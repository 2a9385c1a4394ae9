// The messages a task host and the plugin exchange over the task's control
// socket for as long as the task runs (src/task-host/control-server.ts,
// src/task/host-channel.ts). Newline-delimited JSON, one object a line.
//
// Nothing secret travels here: events and addresses only. Payloads are
// never logged.
import type { ServiceInstancesMessage } from '../services/service-messages.js';
import type { MetricSnapshot } from '../telemetry/metric-snapshot.js';

/** Task host -> plugin. */
export type HostMessage =
  | {
      /** Becomes a Nomad task event (`nomad alloc status`). */
      readonly type: 'event';
      readonly message: string;
      readonly annotations?: Readonly<Record<string, string>>;
    }
  | {
      /** The task's metrics, for the plugin's Prometheus scrape listener (only while a plugin listens). */
      readonly type: 'metrics';
      readonly snapshot: MetricSnapshot;
    };

/** Plugin -> task host. Capabilities add theirs here. */
export type PluginMessage = ServiceInstancesMessage;

/** Name of the socket in the task host's state dir (its working directory). */
export const CONTROL_SOCKET_NAME = 'control.sock';

/**
 * Where the plugin reaches a task host's control socket. Through the task
 * host's working directory: a full path below an alloc dir can exceed the
 * 108 bytes a unix socket address may hold, this one never does.
 */
export function controlSocketPath(pid: number): string {
  return `/proc/${pid}/cwd/${CONTROL_SOCKET_NAME}`;
}

/** Parses one line; undefined for anything that is not an object with a string `type`. */
export function parseMessage<T extends { type: string }>(line: string): T | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string')
    return undefined;
  return value as T;
}
