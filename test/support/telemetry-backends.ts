// Real telemetry backends for the telemetry suites, built from their Go
// modules (scripts/build-jaeger.sh, scripts/build-prometheus.sh): Jaeger v2
// (OTLP in, in-memory store, its query API asserted on) and Prometheus 3
// (OTLP receiver, PromQL API), each on free loopback ports with its state in
// a temp dir, stopped by the test that started it.
import { builtBinary } from './built-binary.ts';
import { freePort } from './ports.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The Nomad attributes a Prometheus user promotes to labels (README "Telemetry"). */
export const PROMOTED_ATTRIBUTES = [
  'nomad.namespace',
  'nomad.job.id',
  'nomad.task_group.name',
  'nomad.task.name',
  'nomad.alloc.id',
  'nomad.alloc.index',
  'nomad.node.name',
  'nomad.datacenter',
  'wasm.host.tier',
];

async function waitFor(what: string, probe: () => Promise<boolean>, log: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(
    `${what} did not come up within ${timeoutMs} ms; its log:\n${readFileSync(log, 'utf8').slice(-4000)}`,
  );
}

abstract class Backend {
  protected child: ChildProcess | undefined;
  constructor(readonly dir: string) {}

  protected launch(binary: string, args: string[]): void {
    const log = openSync(join(this.dir, 'server.log'), 'a');
    this.child = spawn(binary, args, { stdio: ['ignore', log, log] });
    closeSync(log);
  }

  get logFile(): string {
    return join(this.dir, 'server.log');
  }

  /** Freezes the process (SIGSTOP): it accepts connections and answers nothing, a collector that hangs. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if ((await Promise.race([exited, sleep(10_000).then(() => 'timeout')])) === 'timeout') child.kill('SIGKILL');
  }

  async remove(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface JaegerSpan {
  readonly traceID: string;
  readonly spanID: string;
  readonly operationName: string;
  readonly references: { refType: string; traceID: string; spanID: string }[];
  readonly tags: { key: string; type: string; value: unknown }[];
  readonly logs: { timestamp: number; fields: { key: string; value: unknown }[] }[];
  readonly processID: string;
  readonly startTime: number;
  readonly duration: number;
}

export interface JaegerTrace {
  readonly traceID: string;
  readonly spans: JaegerSpan[];
  readonly processes: Record<string, { serviceName: string; tags: { key: string; value: unknown }[] }>;
}

export class Jaeger extends Backend {
  readonly ports: { otlpHttp: number; otlpGrpc: number; query: number; queryGrpc: number };

  private constructor(dir: string, ports: Jaeger['ports']) {
    super(dir);
    this.ports = ports;
  }

  static async start(): Promise<Jaeger> {
    const dir = await mkdtemp(join(tmpdir(), 'jaeger-test-'));
    const ports = {
      otlpHttp: await freePort(),
      otlpGrpc: await freePort(),
      query: await freePort(),
      queryGrpc: await freePort(),
    };
    const jaeger = new Jaeger(dir, ports);
    await writeFile(join(dir, 'config.yaml'), jaeger.config());
    await jaeger.launchAndWait();
    return jaeger;
  }

  private config(): string {
    return `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${this.ports.query}
    grpc:
      endpoint: 127.0.0.1:${this.ports.queryGrpc}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${this.ports.otlpGrpc}
      http:
        endpoint: 127.0.0.1:${this.ports.otlpHttp}
processors:
  batch:
    timeout: 100ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
  }

  async launchAndWait(): Promise<void> {
    this.launch(builtBinary('build-jaeger.sh', 'JAEGER_BIN'), ['--config', join(this.dir, 'config.yaml')]);
    await waitFor('Jaeger', async () => (await fetch(`${this.queryUrl}/api/services`)).ok, this.logFile);
  }

  /** Started again after stop(): same ports, an empty store (it is in memory). */
  async restart(): Promise<void> {
    await this.stop();
    await this.launchAndWait();
  }

  get otlpHttpUrl(): string {
    return `http://127.0.0.1:${this.ports.otlpHttp}`;
  }

  get otlpGrpcUrl(): string {
    return `http://127.0.0.1:${this.ports.otlpGrpc}`;
  }

  get queryUrl(): string {
    return `http://127.0.0.1:${this.ports.query}`;
  }

  /** A trace by id from the query API, or undefined while Jaeger has none of it. */
  async trace(traceId: string): Promise<JaegerTrace | undefined> {
    const response = await fetch(`${this.queryUrl}/api/traces/${traceId}`);
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`Jaeger query: HTTP ${response.status} ${await response.text()}`);
    const body = (await response.json()) as { data: JaegerTrace[] };
    return body.data[0];
  }

  /** Waits until the trace has at least `minSpans` spans (export is batched). */
  async waitForTrace(traceId: string, minSpans: number, timeoutMs = 30_000): Promise<JaegerTrace> {
    const deadline = Date.now() + timeoutMs;
    let last: JaegerTrace | undefined;
    while (Date.now() < deadline) {
      last = await this.trace(traceId);
      if (last && last.spans.length >= minSpans) {
        // A little longer: spans of the same trace may still be on their way.
        await sleep(500);
        return (await this.trace(traceId)) ?? last;
      }
      await sleep(250);
    }
    throw new Error(
      `trace ${traceId} has ${last?.spans.length ?? 0} spans in Jaeger, expected at least ${minSpans}: ${JSON.stringify(last?.spans.map((s) => s.operationName))}`,
    );
  }

  /** Traces of a service (Jaeger's search API), newest first. */
  async traces(service: string, operation?: string, limit = 20): Promise<JaegerTrace[]> {
    const query = new URLSearchParams({
      service,
      limit: String(limit),
      lookback: '1h',
      ...(operation ? { operation } : {}),
    });
    const response = await fetch(`${this.queryUrl}/api/traces?${query}`);
    if (!response.ok) throw new Error(`Jaeger search: HTTP ${response.status} ${await response.text()}`);
    return ((await response.json()) as { data: JaegerTrace[] | null }).data ?? [];
  }
}

export class Prometheus extends Backend {
  readonly port: number;
  private readonly scrapeTargets: readonly string[];

  private constructor(dir: string, port: number, scrapeTargets: readonly string[]) {
    super(dir);
    this.port = port;
    this.scrapeTargets = scrapeTargets;
  }

  /** `scrape`: host:port targets to scrape every second (the plugin's scrape listener). */
  static async start(scrape: readonly string[] = []): Promise<Prometheus> {
    const dir = await mkdtemp(join(tmpdir(), 'prometheus-test-'));
    const prometheus = new Prometheus(dir, await freePort(), scrape);
    await writeFile(join(dir, 'prometheus.yml'), prometheus.config());
    prometheus.launch(builtBinary('build-prometheus.sh', 'PROMETHEUS_BIN'), [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--web.listen-address=127.0.0.1:${prometheus.port}`,
      '--web.enable-otlp-receiver',
      `--storage.tsdb.path=${join(dir, 'data')}`,
    ]);
    await waitFor('Prometheus', async () => (await fetch(`${prometheus.url}/-/ready`)).ok, prometheus.logFile);
    return prometheus;
  }

  private config(): string {
    const scrape = this.scrapeTargets.length
      ? `scrape_configs:
  - job_name: wasm-plugin-scrape
    scrape_interval: 1s
    static_configs:
      - targets: [${this.scrapeTargets.map((t) => `"${t}"`).join(', ')}]
`
      : '';
    return `global:
  scrape_interval: 1s
  evaluation_interval: 1s
otlp:
  promote_resource_attributes: [${PROMOTED_ATTRIBUTES.map((a) => `"${a}"`).join(', ')}]
storage:
  tsdb:
    out_of_order_time_window: 10m
${scrape}`;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Where OTLP/HTTP metrics go (the plugin's telemetry.endpoint is the base; `/v1/metrics` is appended). */
  get otlpMetricsUrl(): string {
    return `${this.url}/api/v1/otlp/v1/metrics`;
  }

  /** An instant PromQL query: the result vector's samples. */
  async query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const response = await fetch(`${this.url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success') throw new Error(`PromQL ${expr}: ${body.error ?? response.status}`);
    return body.data?.result ?? [];
  }

  /** Waits until the query returns a sample for which `accept` holds. */
  async waitFor(
    expr: string,
    accept: (samples: { metric: Record<string, string>; value: [number, string] }[]) => boolean = (s) => s.length > 0,
    timeoutMs = 60_000,
  ): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const deadline = Date.now() + timeoutMs;
    let last: { metric: Record<string, string>; value: [number, string] }[] = [];
    while (Date.now() < deadline) {
      last = await this.query(expr);
      if (accept(last)) return last;
      await sleep(500);
    }
    throw new Error(`PromQL ${expr} did not match within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
  }
}

/** A trace's spans by id, and each span's parent (undefined for a root). */
export function spanTree(trace: JaegerTrace): {
  byId: Map<string, JaegerSpan>;
  parentOf: (span: JaegerSpan) => JaegerSpan | undefined;
  orphans: JaegerSpan[];
} {
  const byId = new Map(trace.spans.map((span) => [span.spanID, span]));
  const parentId = (span: JaegerSpan): string | undefined =>
    span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
  const orphans = trace.spans.filter((span) => {
    const parent = parentId(span);
    return parent !== undefined && !byId.has(parent);
  });
  return { byId, parentOf: (span) => byId.get(parentId(span) ?? ''), orphans };
}

export function tag(span: JaegerSpan, key: string): unknown {
  return span.tags.find((t) => t.key === key)?.value;
}

/** Renders a trace as an indented tree (for the report and failure messages). */
export function renderTree(trace: JaegerTrace): string {
  const { parentOf } = spanTree(trace);
  const children = new Map<string | undefined, JaegerSpan[]>();
  for (const span of trace.spans) {
    const parent = parentOf(span)?.spanID;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number): void => {
    for (const span of (children.get(parent) ?? []).sort((a, b) => a.startTime - b.startTime)) {
      const service = trace.processes[span.processID]?.serviceName ?? '?';
      lines.push(`${'  '.repeat(depth)}${span.operationName} [${service}] ${span.spanID}`);
      walk(span.spanID, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}
