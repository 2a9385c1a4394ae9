// The 3-hop scenario on a real Nomad 1.6.3 with a real Consul 1.16.3:
//   curl → Wasm gateway → Wasm backend (by name through Consul) → node:http
// The gateway (componentize-py, wasi:otel rc.2 `outer-span-context`) and the
// backend (the same source built against `current-span-context`) each emit
// a span of their own. The plugin exports to a real Jaeger v2 and pushes
// metrics to a real Prometheus 3, which also scrapes the plugin's scrape
// listener. Asserted through Jaeger's query API and PromQL: one trace id,
// zero orphan spans, the right parent of every span, the guests' spans in
// place, the plugin's start spans with the task host's under them, and the
// metrics with Nomad labels.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsulAgent } from '../support/consul-agent.ts';
import { freePort } from '../support/ports.ts';
import {
  Jaeger,
  Prometheus,
  renderTree,
  spanTree,
  tag,
  type JaegerSpan,
  type JaegerTrace,
} from '../support/telemetry-backends.ts';
import { taskState } from './support/alloc-state.js';
import { nomadJobRun } from './support/nomad-cli.js';
import type { Allocation } from './support/nomad-api.js';
import { useE2e } from './support/suite.js';

const run = promisify(execFile);

let consul: ConsulAgent | undefined;
let jaeger: Jaeger | undefined;
let prometheus: Prometheus | undefined;
let scrapePort = 0;
let origin: Server | undefined;
let originPort = 0;
const originSaw: string[] = [];

beforeAll(async () => {
  origin = createServer((req, res) => {
    originSaw.push(String(req.headers['traceparent']));
    res.end('origin');
  });
  originPort = await freePort();
  await new Promise<void>((resolve) => origin?.listen(originPort, '127.0.0.1', resolve));
}, 60_000);

afterAll(async () => {
  origin?.close();
  await Promise.all([consul?.destroy(), jaeger?.remove(), prometheus?.remove()]);
}, 60_000);

const context = useE2e(async () => {
  scrapePort = await freePort();
  [consul, jaeger, prometheus] = await Promise.all([
    ConsulAgent.start(),
    Jaeger.start(),
    Prometheus.start([`127.0.0.1:${scrapePort}`]),
  ]);
  const consulAddress = consul.address;
  const jaegerUrl = jaeger.otlpHttpUrl;
  const metricsUrl = prometheus.otlpMetricsUrl;
  return {
    extraConfig: `consul {\n  address = "${consulAddress}"\n}`,
    wasmPluginConfig: (ports) => `    consul {
      address = "${consulAddress}"
    }
    nomad {
      address = "http://127.0.0.1:${ports.http}"
    }
    telemetry {
      traces_endpoint        = "${jaegerUrl}/v1/traces"
      metrics_endpoint       = "${metricsUrl}"
      protocol               = "http/protobuf"
      metric_export_interval = "1s"
      prometheus_listen      = "127.0.0.1:${scrapePort}"
    }`,
  };
});

const api = () => context().agent.api;
const base = () => context().components.baseUrl;

function wasmJob(id: string, component: string, env: Record<string, string>, config: string, service = ''): string {
  const envs = Object.entries(env)
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join(', ');
  return `
job "${id}" {
  type = "service"
  group "g" {
    network {
      port "http" {}
    }
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "t" {
      driver = "wasm"
      artifact {
        source      = "${base()}/${component}.wasm"
        destination = "local/app.wasm"
        mode        = "file"
      }
      config {
        component = "local/app.wasm"
        port      = "http"
        env       = { ${envs} }
        ${config}
      }
      ${service}
      resources {
        cpu    = 100
        memory = 256
      }
    }
  }
}`;
}

async function running(jobId: string): Promise<Allocation> {
  return api().waitForAllocation(jobId, (a) => taskState(a, 't')?.State === 'running', `${jobId} running`, 240_000);
}

const urlOf = (alloc: Allocation): string => {
  const port = alloc.AllocatedResources?.Shared?.Ports?.find((p) => p.Label === 'http');
  return `http://${port?.HostIP}:${port?.Value}`;
};

const one = (trace: JaegerTrace, name: string, where: (s: JaegerSpan) => boolean = () => true): JaegerSpan => {
  const found = trace.spans.filter((s) => s.operationName === name && where(s));
  if (found.length !== 1) throw new Error(`expected one "${name}", found ${found.length} in:\n${renderTree(trace)}`);
  return found[0] as JaegerSpan;
};
const serviceOf = (trace: JaegerTrace, span: JaegerSpan): string | undefined =>
  trace.processes[span.processID]?.serviceName;

describe('telemetry end to end (Nomad 1.6.3, Consul, Jaeger v2, Prometheus 3)', () => {
  let gatewayAlloc: Allocation;
  let backendAlloc: Allocation;

  it('curl → Wasm gateway → Wasm backend by name through Consul → node:http is one trace with every parent right', async () => {
    const agent = context().agent;
    await nomadJobRun(
      agent,
      'tel-backend',
      wasmJob(
        'tel-backend',
        'otel-guest-current',
        { GUEST_NAME: 'backend', NEXT_URL: `http://127.0.0.1:${originPort}/origin` },
        `allow_http = ["127.0.0.1:${originPort}"]`,
        `service {
        name = "tel-backend"
        port = "http"
        check {
          type     = "http"
          path     = "/health"
          interval = "1s"
          timeout  = "2s"
        }
      }`,
      ),
    );
    await nomadJobRun(
      agent,
      'tel-gateway',
      wasmJob(
        'tel-gateway',
        'otel-guest-outer',
        { GUEST_NAME: 'gateway', NEXT_URL: 'http://tel-backend.service.consul/api' },
        'allow_services = ["tel-backend"]',
      ),
    );
    [backendAlloc, gatewayAlloc] = await Promise.all([running('tel-backend'), running('tel-gateway')]);

    // Until Consul has the backend's instance passing, the gateway cannot route to it.
    let body = '';
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      body = (await run('curl', ['-s', '--max-time', '20', `${urlOf(gatewayAlloc)}/checkout`])).stdout;
      if (body.includes('-> 200 backend')) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(body).toMatch(
      /^gateway \(outer; trace [0-9a-f]{32}\) -> 200 backend \(current; trace [0-9a-f]{32}\) -> 200 origin/,
    );
    const traceId = /trace ([0-9a-f]{32})/.exec(body)?.[1] ?? '';
    // The backend saw the same trace: the host injected it, the guests know nothing of HTTP tracing.
    expect(body).toContain(`backend (current; trace ${traceId})`);

    const trace = await jaeger!.waitForTrace(traceId, 8, 60_000);
    console.log(`3-hop trace ${traceId} as Jaeger returned it:\n${renderTree(trace)}`);
    const { parentOf, orphans } = spanTree(trace);
    expect(orphans, renderTree(trace)).toEqual([]);
    expect(new Set(trace.spans.map((s) => s.traceID))).toEqual(new Set([traceId]));

    const gatewayServer = one(
      trace,
      'GET',
      (s) => tag(s, 'span.kind') === 'server' && serviceOf(trace, s) === 'tel-gateway',
    );
    expect(parentOf(gatewayServer)).toBeUndefined();
    expect(tag(gatewayServer, 'url.path')).toBe('/checkout');
    const gatewayCall = one(trace, 'wasm.guest.handle', (s) => serviceOf(trace, s) === 'tel-gateway');
    expect(parentOf(gatewayCall)?.spanID).toBe(gatewayServer.spanID);
    const gatewaySpan = one(trace, 'gateway.call');
    expect(parentOf(gatewaySpan)?.spanID).toBe(gatewayCall.spanID);
    const toBackend = one(
      trace,
      'GET',
      (s) => tag(s, 'span.kind') === 'client' && serviceOf(trace, s) === 'tel-gateway',
    );
    expect(parentOf(toBackend)?.spanID).toBe(gatewaySpan.spanID);
    expect(tag(toBackend, 'wasm.service.name')).toBe('tel-backend');
    expect(toBackend.logs.some((l) => l.fields.some((f) => f.value === 'wasm.service.attempt'))).toBe(true);

    const backendServer = one(
      trace,
      'GET',
      (s) => tag(s, 'span.kind') === 'server' && serviceOf(trace, s) === 'tel-backend',
    );
    expect(parentOf(backendServer)?.spanID).toBe(toBackend.spanID);
    const backendCall = one(trace, 'wasm.guest.handle', (s) => serviceOf(trace, s) === 'tel-backend');
    expect(parentOf(backendCall)?.spanID).toBe(backendServer.spanID);
    const backendSpan = one(trace, 'backend.call');
    expect(parentOf(backendSpan)?.spanID).toBe(backendCall.spanID);
    const toOrigin = one(
      trace,
      'GET',
      (s) => tag(s, 'span.kind') === 'client' && serviceOf(trace, s) === 'tel-backend',
    );
    expect(parentOf(toOrigin)?.spanID).toBe(backendSpan.spanID);
    expect(originSaw).toContain(`00-${traceId}-${toOrigin.spanID}-01`);

    // Nomad's identity on each hop's resource.
    const tags = (span: JaegerSpan) =>
      Object.fromEntries((trace.processes[span.processID]?.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags(gatewayServer)).toMatchObject({
      'nomad.job.id': 'tel-gateway',
      'nomad.task_group.name': 'g',
      'nomad.task.name': 't',
      'nomad.namespace': 'default',
      'nomad.alloc.id': gatewayAlloc.ID,
      'nomad.datacenter': 'dc1',
      'wasm.component.world': 'http',
      'wasm.host.tier': 'process',
    });
    expect(tags(backendServer)).toMatchObject({ 'nomad.job.id': 'tel-backend', 'nomad.alloc.id': backendAlloc.ID });
    expect(String(tags(gatewayServer)['nomad.node.name'])).not.toBe('');
  }, 420_000);

  it("each task's start is a trace of the plugin's phases with the task host's under its launch", async () => {
    const traces = await jaeger!.traces('nomad-driver-wasm', 'wasm.task.start', 50);
    const start = traces.find((t) =>
      t.spans.some((s) => s.operationName === 'wasm.task.start' && tag(s, 'nomad.job.id') === 'tel-gateway'),
    );
    expect(start, JSON.stringify(traces.map((t) => t.spans.map((s) => s.operationName)))).toBeDefined();
    const trace = await jaeger!.waitForTrace(start!.traceID, 6, 30_000);
    console.log(`start trace of tel-gateway:\n${renderTree(trace)}`);
    const { parentOf, orphans } = spanTree(trace);
    expect(orphans).toEqual([]);
    const root = one(trace, 'wasm.task.start');
    expect(tag(root, 'nomad.alloc.id')).toBe(gatewayAlloc.ID);
    for (const phase of ['fetch', 'verify', 'launch'])
      expect(parentOf(one(trace, `wasm.task.start.${phase}`))?.spanID).toBe(root.spanID);
    const launch = one(trace, 'wasm.task.start.launch');
    const compiled = trace.spans.find((s) => /^wasm\.task\.start\.(compile|cache-hit)$/.test(s.operationName));
    expect(compiled && parentOf(compiled)?.spanID).toBe(launch.spanID);
    expect(serviceOf(trace, compiled!)).toBe('tel-gateway');
    expect(parentOf(one(trace, 'wasm.instantiate'))?.spanID).toBe(launch.spanID);
  }, 120_000);

  it('the metrics are in Prometheus with Nomad labels, pushed over OTLP and scraped from the plugin', async () => {
    const pushed = await prometheus!.waitFor(
      `sum by (nomad_job_id, nomad_task_name, nomad_alloc_id) (http_server_request_duration_seconds_count{job="default/tel-gateway"})`,
    );
    expect(pushed[0]?.metric).toMatchObject({
      nomad_job_id: 'tel-gateway',
      nomad_task_name: 't',
      nomad_alloc_id: gatewayAlloc.ID,
    });
    // The scrape listener is OpenTelemetry's Prometheus exporter: its names carry no unit suffix.
    const scraped = await prometheus!
      .waitFor(`http_server_request_duration_count{job="wasm-plugin-scrape",nomad_job_id="tel-backend"}`)
      .catch(async (err: unknown) => {
        // Say what the plugin served and what Prometheus thought of the target.
        const served = await fetch(`http://127.0.0.1:${scrapePort}/metrics`).then(
          (r) => r.text(),
          (e: unknown) => String(e),
        );
        const targets = await fetch(`${prometheus!.url}/api/v1/targets`).then((r) => r.text());
        throw new Error(
          `${String(err)}\nscrape listener served:\n${served.slice(0, 3000)}\ntargets: ${targets.slice(0, 1500)}`,
        );
      });
    expect(scraped[0]?.metric).toMatchObject({
      nomad_namespace: 'default',
      nomad_task_group_name: 'g',
      nomad_alloc_id: backendAlloc.ID,
    });
    const clientCalls = await prometheus!.waitFor(
      `sum(http_client_request_duration_seconds_count{nomad_job_id="tel-gateway",server_address="tel-backend.service.consul"})`,
    );
    expect(Number(clientCalls[0]?.value[1])).toBeGreaterThanOrEqual(1);
    const phases = await prometheus!.waitFor(
      `sum by (wasm_start_phase) (wasm_task_start_phase_duration_seconds_count{nomad_job_id="tel-gateway"})`,
      (s) => s.length >= 3,
    );
    expect(phases.map((s) => s.metric['wasm_start_phase'])).toEqual(
      expect.arrayContaining(['fetch', 'verify', 'launch']),
    );
  }, 120_000);
});
