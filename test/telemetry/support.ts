// Task hosts with a telemetry section in their launch spec, as the plugin
// writes it: export settings pointing at the test's backends, a Nomad
// identity, and the plugin's start span as a traceparent.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { launchSpecFor, type HostRun } from '../runtime/support/task-host.ts';
import { freePort } from '../support/ports.ts';
import type { NomadIdentity, TaskTelemetrySpec } from '../../src/telemetry/identity.ts';
import type { OtlpProtocol, TelemetrySettings } from '../../src/telemetry/settings.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const TASK_HOST = join(ROOT, 'dist/task-host/main.js');

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

export function identity(job: string, overrides: Partial<NomadIdentity> = {}): NomadIdentity {
  return {
    namespace: 'default',
    jobId: job,
    jobName: job,
    group: 'web',
    task: 'app',
    allocId: `${randomHex(4)}-aaaa-bbbb-cccc-${randomHex(6)}`,
    allocIndex: '0',
    nodeName: 'node-1',
    nodeId: 'node-id-1',
    datacenter: 'dc1',
    region: 'global',
    ...overrides,
  };
}

export interface Endpoints {
  /** Base for http/* (the signal path is appended), address for grpc. */
  readonly traces?: { readonly url: string; readonly protocol: OtlpProtocol };
  readonly metrics?: { readonly url: string; readonly protocol: OtlpProtocol };
}

export function settings(endpoints: Endpoints, overrides: Partial<TelemetrySettings> = {}): TelemetrySettings {
  const target = (e: { url: string; protocol: OtlpProtocol } | undefined, signal: string) =>
    e && {
      url: e.protocol === 'grpc' || e.url.endsWith(`/v1/${signal}`) ? e.url : `${e.url}/v1/${signal}`,
      protocol: e.protocol,
      headers: {},
      timeoutMs: 2000,
    };
  return {
    traces: target(endpoints.traces, 'traces'),
    metrics: target(endpoints.metrics, 'metrics'),
    metricIntervalMs: 1000,
    prometheus: undefined,
    sampler: { kind: 'parentbased_always_on', ratio: 1 },
    batch: { scheduleDelayMs: 200, exportTimeoutMs: 2000, maxQueueSize: 2048, maxExportBatchSize: 512 },
    resourceAttributes: {},
    allocIdLabel: true,
    ...overrides,
  };
}

export interface TracedRun extends Omit<HostRun, 'http'> {
  readonly telemetry: Omit<TaskTelemetrySpec, 'tier' | 'attributes'> &
    Partial<Pick<TaskTelemetrySpec, 'tier' | 'attributes'>>;
}

function specOf(run: TracedRun, http?: { host: string; port: number }): string {
  return JSON.stringify({
    ...launchSpecFor({ ...run, ...(http ? { http } : {}) }),
    telemetry: { tier: 'process', attributes: {}, ...run.telemetry },
  });
}

/** A start span of "the plugin": what the launch spec's startParent names. */
export function startParent(): { traceId: string; spanId: string; traceparent: string } {
  const traceId = randomHex(16);
  const spanId = randomHex(8);
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** Runs a command to its end without blocking this process (its own servers must keep answering the guest). */
export async function runCommandTraced(
  run: TracedRun,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [TASK_HOST], { stdio: ['pipe', 'pipe', 'pipe', 'ignore'], env: {} });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin?.end(specOf(run));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const status = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  clearTimeout(timer);
  return { status, stdout, stderr };
}

export interface TracedService {
  readonly host: ChildProcess;
  readonly url: string;
  readonly port: number;
  /** The task host's stderr so far (driver notices: telemetry warnings land here). */
  stderr(): string;
  stop(): Promise<void>;
}

export async function serveTraced(run: TracedRun): Promise<TracedService> {
  const port = await freePort();
  const host = spawn(process.execPath, [TASK_HOST], { stdio: ['pipe', 'pipe', 'pipe', 'ignore'], env: {} });
  let stderr = '';
  host.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  host.stdout?.resume();
  host.stdin?.end(specOf(run, { host: '127.0.0.1', port }));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    const up = await fetch(`${url}/ready-probe`).then(
      async (r) => (await r.arrayBuffer(), true),
      () => false,
    );
    if (up) break;
    if (host.exitCode !== null) throw new Error(`task host exited: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    url,
    port,
    stderr: () => stderr,
    stop: async () => {
      if (host.exitCode !== null) return;
      const exited = new Promise((resolve) => host.once('exit', resolve));
      host.kill('SIGTERM');
      await exited;
    },
  };
}

/** GET with a traceparent of our own; returns the body. */
export async function tracedGet(url: string, traceparent?: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, traceparent ? { headers: { traceparent } } : {});
  return { status: response.status, body: await response.text() };
}
