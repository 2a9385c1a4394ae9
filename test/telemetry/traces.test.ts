// Traces of a task host, asserted through a real Jaeger v2's query API:
// the server span per request (HTTP semantic conventions, the incoming
// traceparent honoured), the guest call, the per-request reset, a client
// span for every outbound request with the host's traceparent (the
// downstream node:http sees it), the guest's own spans through wasi:otel
// in both rc.2 shapes, config reads, denials, a command's run with its exit
// code, and the start phases under the plugin's start span. Each OTLP
// protocol is used by one of the tests.
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Jaeger, spanTree, tag, type JaegerSpan, type JaegerTrace } from '../support/telemetry-backends.ts';
import { freePort } from '../support/ports.ts';
import {
  identity,
  randomHex,
  runCommandTraced,
  serveTraced,
  settings,
  startParent,
  tracedGet,
  type TracedService,
} from './support.ts';

let jaeger: Jaeger;
let dir: string;
let downstream: Server;
let downstreamUrl: string;
const seenTraceparents: string[] = [];
const services: TracedService[] = [];

beforeAll(async () => {
  jaeger = await Jaeger.start();
  dir = await mkdtemp(join(tmpdir(), 'telemetry-traces-'));
  downstream = createServer((req, res) => {
    seenTraceparents.push(String(req.headers['traceparent']));
    res.end(`node:http saw ${String(req.headers['traceparent'])}`);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => downstream.listen(port, '127.0.0.1', resolve));
  downstreamUrl = `http://127.0.0.1:${port}`;
}, 120_000);

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  downstream?.close();
  await jaeger?.remove();
  await rm(dir, { recursive: true, force: true });
});

const byName = (trace: JaegerTrace, name: string): JaegerSpan[] => trace.spans.filter((s) => s.operationName === name);
const one = (trace: JaegerTrace, name: string, where: (s: JaegerSpan) => boolean = () => true): JaegerSpan => {
  const found = byName(trace, name).filter(where);
  if (found.length !== 1)
    throw new Error(
      `expected one span "${name}", found ${found.length}: ${trace.spans.map((s) => s.operationName).join(', ')}`,
    );
  return found[0] as JaegerSpan;
};

describe('a wasi:http service with a wasi:otel guest', () => {
  it.each([
    ['otel-guest-outer', 'outer', 'http/protobuf', 'shared'],
    ['otel-guest-current', 'current', 'grpc', 'per-request'],
  ] as const)(
    '%s over %s (%s): server span continuing the caller, guest call, the guest’s span, the client span the downstream sees',
    async (component, shape, protocol, mode) => {
      const job = `traces-${shape}`;
      const service = await serveTraced({
        component,
        dir,
        grants: {
          env: { GUEST_NAME: job, NEXT_URL: `${downstreamUrl}/next?token=secret` },
          outboundHttp: [downstreamUrl.replace('http://', '')],
          httpInstance: mode,
        },
        telemetry: {
          settings: settings({
            traces: { url: protocol === 'grpc' ? jaeger.otlpGrpcUrl : jaeger.otlpHttpUrl, protocol },
          }),
          identity: identity(job),
        },
      });
      services.push(service);
      const traceId = randomHex(16);
      const callerSpan = randomHex(8);
      const answer = await tracedGet(`${service.url}/hello?x=1`, `00-${traceId}-${callerSpan}-01`);
      expect(answer.status).toBe(200);
      expect(answer.body).toContain(`${job} (${shape}; trace ${traceId})`);

      const trace = await jaeger.waitForTrace(traceId, mode === 'per-request' ? 5 : 4);
      const { parentOf, orphans } = spanTree(trace);
      const server = one(trace, 'GET', (s) => tag(s, 'span.kind') === 'server');
      // The caller's span is not in Jaeger: the server span is the only span whose parent is missing.
      expect(orphans.map((s) => s.spanID)).toEqual([server.spanID]);
      expect(server.references[0]?.spanID).toBe(callerSpan);
      expect(tag(server, 'http.request.method')).toBe('GET');
      expect(tag(server, 'url.path')).toBe('/hello');
      expect(tag(server, 'http.response.status_code')).toBe(200);
      expect(tag(server, 'server.port')).toBe(service.port);

      const guestCall = one(trace, 'wasm.guest.handle');
      expect(parentOf(guestCall)?.spanID).toBe(server.spanID);
      const guestSpan = one(trace, `${job}.call`);
      expect(parentOf(guestSpan)?.spanID).toBe(guestCall.spanID);
      expect(tag(guestSpan, 'guest.otel.shape')).toBe(shape);
      const client = one(trace, 'GET', (s) => tag(s, 'span.kind') === 'client');
      // The guest's outgoing call carries the guest's span as parent.
      expect(parentOf(client)?.spanID).toBe(guestSpan.spanID);
      expect(tag(client, 'url.full')).toBe(`${downstreamUrl}/next`);
      expect(tag(client, 'http.response.status_code')).toBe(200);
      expect(seenTraceparents).toContain(`00-${traceId}-${client.spanID}-01`);
      if (mode === 'per-request') expect(parentOf(one(trace, 'wasm.instance.reset'))?.spanID).toBe(server.spanID);

      const process = trace.processes[server.processID];
      expect(process?.serviceName).toBe(job);
      const processTags = Object.fromEntries((process?.tags ?? []).map((t) => [t.key, t.value]));
      expect(processTags).toMatchObject({
        'nomad.job.id': job,
        'nomad.task_group.name': 'web',
        'nomad.task.name': 'app',
        'nomad.namespace': 'default',
        'nomad.node.name': 'node-1',
        'nomad.datacenter': 'dc1',
        'wasm.component.world': 'http',
        'wasm.host.tier': 'process',
      });
      expect(String(processTags['wasm.component.digest'])).toMatch(/^sha256:[0-9a-f]{64}$/);
    },
    180_000,
  );

  it('a request without a traceparent starts its own trace; the host still injects one downstream', async () => {
    const service = await serveTraced({
      component: 'otel-guest-outer',
      dir,
      grants: {
        env: { GUEST_NAME: 'fresh', NEXT_URL: `${downstreamUrl}/` },
        outboundHttp: [downstreamUrl.replace('http://', '')],
      },
      telemetry: {
        settings: settings({ traces: { url: jaeger.otlpHttpUrl, protocol: 'http/json' } }),
        identity: identity('fresh'),
      },
    });
    services.push(service);
    const answer = await tracedGet(`${service.url}/`);
    const traceId = /trace ([0-9a-f]{32})/.exec(answer.body)?.[1] ?? '';
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const trace = await jaeger.waitForTrace(traceId, 4);
    const { orphans, parentOf } = spanTree(trace);
    expect(orphans).toEqual([]);
    const server = one(trace, 'GET', (s) => tag(s, 'span.kind') === 'server');
    expect(parentOf(server)).toBeUndefined();
    const client = one(trace, 'GET', (s) => tag(s, 'span.kind') === 'client');
    expect(seenTraceparents).toContain(`00-${traceId}-${client.spanID}-01`);
  }, 180_000);
});

describe('sampling', () => {
  it('a caller that sampled its trace out: no spans, and the next hop continues the trace still sampled out', async () => {
    const service = await serveTraced({
      component: 'otel-guest-outer',
      dir,
      grants: {
        env: { GUEST_NAME: 'unsampled', NEXT_URL: `${downstreamUrl}/` },
        outboundHttp: [downstreamUrl.replace('http://', '')],
      },
      telemetry: {
        settings: settings({ traces: { url: jaeger.otlpHttpUrl, protocol: 'http/protobuf' } }),
        identity: identity('unsampled'),
      },
    });
    services.push(service);
    const traceId = randomHex(16);
    const sampledOut = await tracedGet(`${service.url}/`, `00-${traceId}-${randomHex(8)}-00`);
    expect(sampledOut.status).toBe(200);
    expect(seenTraceparents.some((t) => t.startsWith(`00-${traceId}-`) && t.endsWith('-00'))).toBe(true);
    // A sampled request after it reaches Jaeger; by then the sampled-out one would have too.
    const sampled = randomHex(16);
    await tracedGet(`${service.url}/`, `00-${sampled}-${randomHex(8)}-01`);
    await jaeger.waitForTrace(sampled, 4);
    expect(await jaeger.trace(traceId)).toBeUndefined();
  }, 180_000);
});

describe('config reads and denials', () => {
  it('wasi:config/store reads are spans with the key (never the value); an ungranted key is a denied event', async () => {
    const service = await serveTraced({
      component: 'config-http',
      dir,
      grants: { config: { values: { greeting: 'value-never-exported' }, secretKeys: [], secretEnv: {} } },
      telemetry: {
        settings: settings({ traces: { url: jaeger.otlpHttpUrl, protocol: 'http/protobuf' } }),
        identity: identity('config'),
      },
    });
    services.push(service);
    const traceId = randomHex(16);
    expect((await tracedGet(`${service.url}/get/greeting`, `00-${traceId}-${randomHex(8)}-01`)).body).toContain(
      'value-never-exported',
    );
    const deniedTrace = randomHex(16);
    expect((await tracedGet(`${service.url}/get/db.password`, `00-${deniedTrace}-${randomHex(8)}-01`)).status).toBe(
      404,
    );

    const trace = await jaeger.waitForTrace(traceId, 3);
    const read = one(trace, 'wasi_config.get');
    expect(tag(read, 'wasm.config.key')).toBe('greeting');
    expect(tag(read, 'wasm.config.found')).toBe(true);
    expect(JSON.stringify(trace)).not.toContain('value-never-exported');
    expect(spanTree(trace).parentOf(read)?.operationName).toBe('wasm.guest.handle');

    const denied = await jaeger.waitForTrace(deniedTrace, 3);
    const call = one(denied, 'wasm.guest.handle');
    const event = call.logs.find((log) =>
      log.fields.some((f) => f.key === 'event' && f.value === 'wasm.capability.denied'),
    );
    expect(event?.fields).toEqual(
      expect.arrayContaining([
        { key: 'wasm.denied.kind', type: 'string', value: 'config' },
        { key: 'wasm.denied.target', type: 'string', value: 'db.password' },
      ]),
    );
  }, 180_000);
});

describe('commands', () => {
  it('a short command loses nothing: start phases under the plugin’s span, its run with the exit code, a denied host as an event, an allowed one as a client span', async () => {
    const start = startParent();
    const result = await runCommandTraced({
      component: 'js-http-probe',
      dir,
      grants: {
        env: { PROBE_URLS: `${downstreamUrl}/from-command http://denied.example.com/` },
        outboundHttp: [downstreamUrl.replace('http://', '')],
      },
      telemetry: {
        settings: settings(
          { traces: { url: jaeger.otlpHttpUrl, protocol: 'http/protobuf' } },
          { batch: { scheduleDelayMs: 60_000, exportTimeoutMs: 5000, maxQueueSize: 2048, maxExportBatchSize: 512 } },
        ),
        identity: identity('probe'),
        startParent: start.traceparent,
      },
    });
    expect(result.status, result.stderr).toBe(0);
    // The batch delay is a minute: only the flush before exit can have sent these.
    const trace = await jaeger.waitForTrace(start.traceId, 4, 10_000);
    const { parentOf } = spanTree(trace);
    const phase = trace.spans.find((s) => /^wasm\.task\.start\.(compile|cache-hit)$/.test(s.operationName));
    expect(phase?.references[0]?.spanID).toBe(start.spanId);
    const run = one(trace, 'wasm.command.run');
    expect(run.references[0]?.spanID).toBe(start.spanId);
    expect(tag(run, 'process.exit.code')).toBe(0);
    const client = one(trace, 'GET', (s) => tag(s, 'span.kind') === 'client');
    expect(parentOf(client)?.spanID).toBe(run.spanID);
    expect(tag(client, 'http.response.status_code')).toBe(200);
    expect(seenTraceparents).toContain(`00-${start.traceId}-${client.spanID}-01`);
    const denied = run.logs.find((log) => log.fields.some((f) => f.value === 'wasm.capability.denied'));
    expect(denied?.fields).toEqual(
      expect.arrayContaining([
        { key: 'wasm.denied.kind', type: 'string', value: 'http' },
        { key: 'wasm.denied.target', type: 'string', value: 'denied.example.com' },
      ]),
    );
  }, 180_000);

  it('a failing command’s run span carries its exit code and an error status', async () => {
    const start = startParent();
    const result = await runCommandTraced({
      component: 'exit-code',
      dir,
      args: ['3'],
      telemetry: {
        settings: settings({ traces: { url: jaeger.otlpHttpUrl, protocol: 'http/json' } }),
        identity: identity('exits'),
        startParent: start.traceparent,
      },
    });
    // WASI 0.2's exit carries ok/err only: 3 becomes 1.
    expect(result.status).toBe(1);
    const trace = await jaeger.waitForTrace(start.traceId, 2, 10_000);
    const run = one(trace, 'wasm.command.run');
    expect(tag(run, 'process.exit.code')).toBe(1);
    expect(tag(run, 'otel.status_code')).toBe('ERROR');
  }, 180_000);
});
