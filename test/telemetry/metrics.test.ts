// Metrics of task hosts, pushed over OTLP to a real Prometheus 3 (its OTLP
// receiver, the task's Nomad attributes promoted to labels) and queried by
// name and label with PromQL: request durations, cold starts, linear
// memory, CPU, denials and client calls of a batch task that exited at once,
// and the alloc id label switched off.
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prometheus } from '../support/telemetry-backends.ts';
import { freePort } from '../support/ports.ts';
import { identity, runCommandTraced, serveTraced, settings, type TracedService } from './support.ts';

let prometheus: Prometheus;
let dir: string;
let downstream: Server;
let downstreamAuthority: string;
const services: TracedService[] = [];

beforeAll(async () => {
  prometheus = await Prometheus.start();
  dir = await mkdtemp(join(tmpdir(), 'telemetry-metrics-'));
  downstream = createServer((_req, res) => res.end('ok'));
  const port = await freePort();
  await new Promise<void>((resolve) => downstream.listen(port, '127.0.0.1', resolve));
  downstreamAuthority = `127.0.0.1:${port}`;
}, 120_000);

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  downstream?.close();
  await prometheus?.remove();
  await rm(dir, { recursive: true, force: true });
});

const value = (samples: { value: [number, string] }[]): number => Number(samples[0]?.value[1] ?? NaN);

describe('metrics in Prometheus', () => {
  it('a service’s request durations, cold starts, linear memory and CPU, labelled with its Nomad identity', async () => {
    const job = 'metrics-service';
    const service = await serveTraced({
      component: 'hello-http',
      dir,
      grants: { httpInstance: 'per-request' },
      telemetry: {
        settings: settings({ metrics: { url: prometheus.otlpMetricsUrl, protocol: 'http/protobuf' } }),
        identity: identity(job),
      },
    });
    services.push(service);
    for (let i = 0; i < 20; i++) expect((await fetch(service.url)).status).toBe(200);

    const labels = `nomad_job_id="${job}",nomad_task_group_name="web",nomad_task_name="app",nomad_namespace="default"`;
    // 20 requests and the probe that saw the service come up.
    const count = await prometheus.waitFor(
      `sum(http_server_request_duration_seconds_count{${labels},http_request_method="GET",http_response_status_code="200"})`,
      (s) => value(s) >= 21,
    );
    expect(value(count)).toBe(21);
    const buckets = await prometheus.query(`http_server_request_duration_seconds_bucket{${labels}}`);
    expect(buckets.map((b) => b.metric['le'])).toEqual(
      expect.arrayContaining(['0.005', '0.01', '0.025', '0.1', '1', '10', '+Inf']),
    );
    expect(value(await prometheus.waitFor(`sum(faas_coldstarts_total{${labels},wasm_instance_reason="start"})`))).toBe(
      1,
    );
    expect(value(await prometheus.waitFor(`sum(faas_init_duration_seconds_count{${labels}})`))).toBeGreaterThanOrEqual(
      1,
    );
    expect(value(await prometheus.waitFor(`http_server_active_requests{${labels}}`))).toBe(0);
    expect(value(await prometheus.waitFor(`wasm_linear_memory_size_bytes{${labels}}`))).toBeGreaterThan(0);
    expect(value(await prometheus.waitFor(`wasm_instance_linear_memory_size_bytes{${labels}}`))).toBeGreaterThan(0);
    expect(value(await prometheus.waitFor(`sum(process_cpu_time_seconds_total{${labels}})`))).toBeGreaterThan(0);
    const series = await prometheus.query(`http_server_request_duration_seconds_count{${labels}}`);
    expect(series[0]?.metric['nomad_alloc_id']).toMatch(/-aaaa-bbbb-cccc-/);
    expect(series[0]?.metric['job']).toBe(`default/${job}`);
  }, 180_000);

  it('a batch task that exits at once still delivers its metrics: denials by kind and client call durations', async () => {
    const job = 'metrics-command';
    const result = await runCommandTraced({
      component: 'js-http-probe',
      dir,
      grants: {
        env: {
          PROBE_URLS: `http://${downstreamAuthority}/ http://not-allowed.example.com/ http://not-allowed.example.com/x`,
        },
        outboundHttp: [downstreamAuthority],
      },
      telemetry: {
        // An interval far longer than the task: only the flush before exit can deliver them.
        settings: settings(
          { metrics: { url: prometheus.otlpMetricsUrl, protocol: 'http/json' } },
          { metricIntervalMs: 600_000 },
        ),
        identity: identity(job),
      },
    });
    expect(result.status, result.stderr).toBe(0);
    const labels = `nomad_job_id="${job}"`;
    expect(
      value(await prometheus.waitFor(`sum(wasm_capability_denied_total{${labels},wasm_denied_kind="http"})`)),
    ).toBe(2);
    expect(
      value(
        await prometheus.waitFor(
          `sum(http_client_request_duration_seconds_count{${labels},http_response_status_code="200"})`,
        ),
      ),
    ).toBe(1);
    expect(
      value(await prometheus.waitFor(`sum(faas_invoke_duration_seconds_count{${labels},process_exit_code="0"})`)),
    ).toBe(1);
  }, 180_000);

  it('with the alloc id label off, series carry the bounded alloc index instead', async () => {
    const job = 'metrics-no-alloc-id';
    const service = await serveTraced({
      component: 'hello-http',
      dir,
      telemetry: {
        settings: settings(
          { metrics: { url: prometheus.otlpMetricsUrl, protocol: 'http/protobuf' } },
          { allocIdLabel: false },
        ),
        identity: identity(job, { allocIndex: '2' }),
      },
    });
    services.push(service);
    await fetch(service.url);
    const series = await prometheus.waitFor(`http_server_request_duration_seconds_count{nomad_job_id="${job}"}`);
    expect(series[0]?.metric['nomad_alloc_id']).toBeUndefined();
    expect(series[0]?.metric['nomad_alloc_index']).toBe('2');
  }, 180_000);
});
