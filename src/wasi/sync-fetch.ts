// A synchronous HTTP request for a synchronous guest call.
//
// WASI 0.2 calls are synchronous, and Node cannot block on a socket, so the
// request runs in one helper worker (started on the first outbound call,
// never for tasks that make none) while this thread waits on an Atomics
// flag and then picks up the answer with receiveMessageOnPort.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { beforeBlocking } from './before-blocking.js';

export interface SyncFetchRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: [string, string][];
  readonly body: Uint8Array;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  /** Connect to this address instead of the URL's host (a service instance; see pinned-fetch.ts). */
  readonly connect?: {
    readonly host: string;
    readonly port: number;
    readonly connectTimeoutMs?: number;
    /** An extra CA (PEM) for https (the node's Consul CA, for key-value stores). */
    readonly caCertPem?: string;
  };
  readonly port: MessagePort;
  readonly flag: SharedArrayBuffer;
}

export type SyncFetchResult =
  | { ok: true; status: number; headers: [string, string][]; body: Uint8Array }
  | { ok: false; code: string; message: string; retryable?: boolean; instanceDown?: boolean };

let worker: Worker | undefined;

function helper(): Worker {
  if (!worker) {
    worker = new Worker(new URL('./sync-fetch-worker.js', import.meta.url));
    worker.unref(); // an idle helper must not keep the task host alive
  }
  return worker;
}

export function fetchSync(request: Omit<SyncFetchRequest, 'port' | 'flag'>): SyncFetchResult {
  const { port1, port2 } = new MessageChannel();
  const flag = new SharedArrayBuffer(4);
  helper().postMessage({ ...request, port: port2, flag } satisfies SyncFetchRequest, [port2]);
  beforeBlocking();
  // The worker answers within its own timeout; a little slack for the hop.
  const waited = Atomics.wait(new Int32Array(flag), 0, 0, request.timeoutMs + 1000);
  const message = receiveMessageOnPort(port1);
  port1.close();
  if (waited === 'timed-out' || !message)
    return { ok: false, code: 'connection-timeout', message: 'no answer in time' };
  return message.message as SyncFetchResult;
}
