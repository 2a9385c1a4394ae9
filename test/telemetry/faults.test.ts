// A collector that is down, hangs or refuses must not touch the task:
// every request is served, spans and metrics are dropped from bounded
// queues (and counted), the task's log says so once per outage, and export
// resumes when the collector is back. Down: nothing listens. Hangs: a real
// Jaeger frozen with SIGSTOP. Refusing: a fake OTLP endpoint that answers
// 503 to everything (no real collector can be made to do that on demand).
// Drops of the full queue are counted in Prometheus.
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Jaeger, Prometheus } from '../support/telemetry-backends.ts';
import { freePort } from '../support/ports.ts';
import { identity, randomHex, serveTraced, settings, tracedGet, type TracedService } from './support.ts';

let jaeger: Jaeger;
let prometheus: Prometheus;
let dir: string;
const services: TracedService[] = [];

beforeAll(async () => {
  [jaeger, prometheus] = await Promise.all([Jaeger.start(), Prometheus.start()]);
  dir = await mkdtemp(join(tmpdir(), 'telemetry-faults-'));
}, 120_000);

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await jaeger?.remove();
  await prometheus?.remove();
  await rm(dir, { recursive: true, force: true });
});

const failures = (stderr: string, what: string): number =>
  stderr.split('\n').filter((line) => line.includes(`exporting ${what} to`) && line.includes('failed')).length;

async function serveAll(service: TracedService, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push((await fetch(`${service.url}/r${i}`)).status);
  return statuses;
}

describe('collector faults', () => {
  it('collector down: every request is served, one warning per signal for the whole outage', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const service = await serveTraced({
      component: 'hello-http',
      dir,
      telemetry: {
        settings: settings(
          { traces: { url: dead, protocol: 'http/protobuf' }, metrics: { url: dead, protocol: 'http/protobuf' } },
          {
            metricIntervalMs: 300,
            batch: { scheduleDelayMs: 100, exportTimeoutMs: 1000, maxQueueSize: 64, maxExportBatchSize: 16 },
          },
        ),
        identity: identity('fault-down'),
      },
    });
    services.push(service);
    for (let round = 0; round < 3; round++) {
      expect(await serveAll(service, 30)).toEqual(Array(30).fill(200));
      await sleep(1500); // several failed batches and metric exports in between
    }
    expect(failures(service.stderr(), 'spans'), service.stderr()).toBe(1);
    expect(failures(service.stderr(), 'metrics'), service.stderr()).toBe(1);
    expect(service.host.exitCode).toBeNull();
  }, 180_000);

  it('collector hanging (Jaeger frozen): requests are served, the queue drops are counted, export resumes when it is back', async () => {
    const service = await serveTraced({
      component: 'hello-http',
      dir,
      telemetry: {
        settings: settings(
          {
            traces: { url: jaeger.otlpHttpUrl, protocol: 'http/protobuf' },
            metrics: { url: prometheus.otlpMetricsUrl, protocol: 'http/protobuf' },
          },
          {
            metricIntervalMs: 500,
            batch: { scheduleDelayMs: 100, exportTimeoutMs: 1500, maxQueueSize: 16, maxExportBatchSize: 8 },
          },
        ),
        identity: identity('fault-hang'),
      },
    });
    services.push(service);
    jaeger.pause();
    try {
      expect(await serveAll(service, 200)).toEqual(Array(200).fill(200));
      // Spans that did not fit the 16-span queue are dropped and counted (the SDK's own metric).
      const dropped = await prometheus.waitFor(
        `sum(otel_sdk_processor_span_processed_total{nomad_job_id="fault-hang",error_type="queue_full"})`,
        (s) => Number(s[0]?.value[1]) > 0,
      );
      expect(Number(dropped[0]?.value[1])).toBeGreaterThan(0);
      const deadline = Date.now() + 30_000;
      while (failures(service.stderr(), 'spans') === 0 && Date.now() < deadline) await sleep(200);
      expect(failures(service.stderr(), 'spans'), service.stderr()).toBe(1);
    } finally {
      jaeger.resume();
    }
    // Back: the next traces arrive, and the log says how many were lost meanwhile.
    const traceId = randomHex(16);
    expect((await tracedGet(`${service.url}/after`, `00-${traceId}-${randomHex(8)}-01`)).status).toBe(200);
    await jaeger.waitForTrace(traceId, 2, 60_000);
    const recovered = service
      .stderr()
      .split('\n')
      .find((line) => line.includes('works again'));
    expect(recovered, service.stderr()).toMatch(/exporting spans to .* works again; \d+ were lost meanwhile/);
    expect(failures(service.stderr(), 'spans')).toBe(1);
  }, 180_000);

  it('collector refusing (a fake answering 503): requests are served, one warning', async () => {
    let refused = 0;
    const fake: Server = createServer((req, res) => {
      req.resume();
      refused++;
      res.writeHead(503).end('overloaded');
    });
    const port = await freePort();
    await new Promise<void>((resolve) => fake.listen(port, '127.0.0.1', resolve));
    try {
      const service = await serveTraced({
        component: 'hello-http',
        dir,
        telemetry: {
          settings: settings(
            { traces: { url: `http://127.0.0.1:${port}`, protocol: 'http/json' } },
            { batch: { scheduleDelayMs: 100, exportTimeoutMs: 1000, maxQueueSize: 64, maxExportBatchSize: 16 } },
          ),
          identity: identity('fault-refuse'),
        },
      });
      services.push(service);
      expect(await serveAll(service, 60)).toEqual(Array(60).fill(200));
      const deadline = Date.now() + 30_000;
      while (failures(service.stderr(), 'spans') === 0 && Date.now() < deadline) await sleep(200);
      await sleep(2000);
      expect(refused).toBeGreaterThan(1);
      expect(failures(service.stderr(), 'spans'), service.stderr()).toBe(1);
    } finally {
      fake.close();
    }
  }, 180_000);
});
