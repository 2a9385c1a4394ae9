// Vault operations of a task's lease manager as spans and metrics, with a
// real Vault v1.13.0 and PostgreSQL behind its database engine: the reads
// at start under the plugin's start span (path and TTL), renewals,
// rotations when a lease reaches its max TTL, revocation at stop; never a
// secret value, a lease id or the token in anything exported.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchSpecFor } from '../runtime/support/task-host.ts';
import { freePort } from '../support/ports.ts';
import { Jaeger, Prometheus, tag } from '../support/telemetry-backends.ts';
import { Postgres } from '../vault/support/postgres.ts';
import { createToken, enableDatabase, taskPolicy, writePolicy } from '../vault/support/vault-setup.ts';
import { VaultServer } from '../vault/support/vault-server.ts';
import { identity, settings, startParent } from './support.ts';

const TASK_HOST = new URL('../../dist/task-host/main.js', import.meta.url).pathname;

let vault: VaultServer;
let postgres: Postgres;
let jaeger: Jaeger;
let prometheus: Prometheus;
let dir: string;
let host: ChildProcess | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'telemetry-vault-'));
  [vault, postgres, jaeger, prometheus] = await Promise.all([
    VaultServer.start(),
    Postgres.start(),
    Jaeger.start(),
    Prometheus.start(),
  ]);
  await enableDatabase(vault, postgres, [{ name: 'short', ttlSec: 3, maxTtlSec: 7 }]);
  await writePolicy(vault, 'short', taskPolicy(['database/creds/short']));
}, 240_000);

afterAll(async () => {
  host?.kill('SIGKILL');
  await Promise.all([vault?.destroy(), jaeger?.remove(), prometheus?.remove()]);
  postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Vault leases in telemetry', () => {
  it('reads, renewals, a rotation and the revocation are spans with paths and TTLs; renewals are counted', async () => {
    const token = await createToken(vault, ['short']);
    const tokenFile = join(dir, 'vault_token');
    writeFileSync(tokenFile, token);
    const start = startParent();
    const port = await freePort();
    const spec = {
      ...launchSpecFor({
        component: 'config-http',
        dir,
        grants: { config: { values: {}, secretKeys: ['db.username', 'db.password'], secretEnv: {} } },
        http: { host: '127.0.0.1', port },
      }),
      vault: {
        connection: { address: vault.address, timeoutMs: 3000 },
        token: { file: tokenFile },
        secrets: [{ name: 'db', path: 'database/creds/short' }],
        staticRefreshMs: 0,
      },
      telemetry: {
        settings: settings(
          {
            traces: { url: jaeger.otlpHttpUrl, protocol: 'http/protobuf' },
            metrics: { url: prometheus.otlpMetricsUrl, protocol: 'http/protobuf' },
          },
          { metricIntervalMs: 500 },
        ),
        identity: identity('vault-job'),
        startParent: start.traceparent,
        attributes: {},
        tier: 'process',
      },
    };
    host = spawn(process.execPath, [TASK_HOST], { stdio: ['pipe', 'ignore', 'pipe', 'ignore'], env: {} });
    let stderr = '';
    host.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    host.stdin?.end(JSON.stringify(spec));
    let password = '';
    for (let i = 0; i < 600 && !password; i++) {
      password = await fetch(`http://127.0.0.1:${port}/get/db.password`).then(
        (r) => (r.ok ? r.text() : ''),
        () => '',
      );
      if (!password) await new Promise((r) => setTimeout(r, 100));
    }
    expect(password, stderr).not.toBe('');

    // Renewals every few seconds, then a rotation once the 7 s max TTL is near.
    const renewals = await prometheus.waitFor(
      'sum(wasm_vault_lease_renewals_total{nomad_job_id="vault-job",vault_outcome="ok"})',
      (s) => Number(s[0]?.value[1]) >= 1,
    );
    expect(Number(renewals[0]?.value[1])).toBeGreaterThanOrEqual(1);
    await prometheus.waitFor(
      'sum(wasm_vault_secret_rotations_total{nomad_job_id="vault-job"})',
      (s) => Number(s[0]?.value[1]) >= 1,
    );
    const exited = new Promise((resolve) => host?.once('exit', resolve));
    host.kill('SIGTERM');
    await exited;

    const startTrace = await jaeger.waitForTrace(start.traceId, 2);
    const read = startTrace.spans.find((s) => s.operationName === 'vault.read');
    expect(read?.references[0]?.spanID).toBe(start.spanId);
    expect(tag(read!, 'vault.secret.path')).toBe('database/creds/short');
    expect(tag(read!, 'vault.lease.ttl_seconds')).toBe(3);
    expect(tag(read!, 'vault.outcome')).toBe('ok');
    expect(startTrace.spans.map((s) => s.operationName)).toEqual(expect.arrayContaining(['wasm.task.start.vault']));

    const operations = new Map<string, number>();
    for (const operation of ['vault.renew', 'vault.rotate', 'vault.revoke']) {
      const found = await jaeger.traces('vault-job', operation);
      operations.set(operation, found.length);
      for (const trace of found)
        for (const span of trace.spans.filter((s) => s.operationName === operation))
          expect(tag(span, 'vault.secret.path')).toBe('database/creds/short');
    }
    expect(operations.get('vault.renew')).toBeGreaterThanOrEqual(1);
    expect(operations.get('vault.rotate')).toBeGreaterThanOrEqual(1);
    expect(operations.get('vault.revoke')).toBeGreaterThanOrEqual(1);

    // Nothing secret in anything Jaeger holds for the job.
    const everything = JSON.stringify([startTrace, ...(await jaeger.traces('vault-job', undefined, 100))]);
    expect(everything).not.toContain(password);
    expect(everything).not.toContain(token);
    expect(everything).not.toMatch(/database\/creds\/short\/[A-Za-z0-9]{10,}/); // a lease id
  }, 300_000);
});
