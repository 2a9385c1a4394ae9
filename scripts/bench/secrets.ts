// What Vault secrets cost (README "Vault secrets" / "Measured"), against a
// real Vault v1.13.0 dev server and PostgreSQL behind its database engine,
// with baselines measured in the same run:
// - start -> first HTTP 200 from config-http, for the same task without
//   secrets (plain config values), with one KV v2 secret, and with KV + a
//   dynamic database credential; through a spare task host (as the plugin
//   starts tasks; with secrets it has preloaded the Vault client) and
//   through a fresh process; and SIGTERM -> exit (with secrets: the leases
//   are revoked first);
// - wasi:config/store.get: per call, from inside the guest (config-http's
//   /repeat/<n>/<key> route: n calls through jco's glue into our host), for
//   a secret key and for a plain value; and the host function alone.
//   node scripts/bench/secrets.ts            (BENCH_RUNS=15 by default)
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { HOST_NODE_FLAGS } from '../../src/ipc/host-node-flags.ts';
import { freePort } from '../../test/support/ports.ts';
import { Postgres } from '../../test/vault/support/postgres.ts';
import {
  createToken,
  enableDatabase,
  enableKv,
  taskPolicy,
  writeKv,
  writePolicy,
} from '../../test/vault/support/vault-setup.ts';
import { VaultServer } from '../../test/vault/support/vault-server.ts';

const dist = new URL('../../dist/', import.meta.url).href;
const { SecretStore } = (await import(
  `${dist}vault/secret-store.js`
)) as typeof import('../../src/vault/secret-store.ts');
const { configSource } = (await import(
  `${dist}runtime/config-view.js`
)) as typeof import('../../src/runtime/config-view.ts');
const { configStoreInterfaces } = (await import(
  `${dist}wasi/config-store.js`
)) as typeof import('../../src/wasi/config-store.ts');

const RUNS = Number(process.env['BENCH_RUNS'] ?? 15);
const ROOT = join(import.meta.dirname, '../..');
const TASK_HOST = join(ROOT, 'dist/task-host/main.js');
const COMPONENT = join(process.env['WASM_TEST_COMPONENTS'] ?? join(ROOT, '.cache/components'), 'config-http.wasm');

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? NaN;
}

const ms = (value: number): string => `${value.toFixed(1)} ms`;

interface Variant {
  readonly name: string;
  readonly secrets: Array<{ name: string; path: string; field?: string }>;
  readonly secretKeys: string[];
  readonly probe: string;
}

const VARIANTS: Variant[] = [
  { name: 'no secrets (plain config value)', secrets: [], secretKeys: [], probe: 'greeting' },
  {
    name: '1 KV v2 secret',
    secrets: [{ name: 'api', path: 'kv/data/app', field: 'api_key' }],
    secretKeys: ['api'],
    probe: 'api',
  },
  {
    name: 'KV v2 + dynamic database credential',
    secrets: [
      { name: 'api', path: 'kv/data/app', field: 'api_key' },
      { name: 'db', path: 'database/creds/bench' },
    ],
    secretKeys: ['api', 'db.*'],
    probe: 'db.password',
  },
];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-secrets-'));
  const [vault, postgres] = await Promise.all([VaultServer.start(), Postgres.start()]);
  try {
    await enableKv(vault);
    await writeKv(vault, 'app', { api_key: 'bench-key' });
    await enableDatabase(vault, postgres, [{ name: 'bench', ttlSec: 600, maxTtlSec: 3600 }]);
    await writePolicy(vault, 'bench', taskPolicy(['kv/data/app', 'database/creds/bench']));
    const tokenFile = join(dir, 'vault_token');
    writeFileSync(tokenFile, await createToken(vault, ['bench']));

    for (const mode of ['spare', 'fresh'] as const) {
      const starts = new Map<string, number[]>(VARIANTS.map((v) => [v.name, []]));
      const stops = new Map<string, number[]>(VARIANTS.map((v) => [v.name, []]));
      // One warm-up per variant (compile cache, page cache), then interleaved runs.
      for (const variant of VARIANTS) await startOnce(variant, mode, dir, vault.address, tokenFile);
      for (let run = 0; run < RUNS; run++) {
        for (const variant of VARIANTS) {
          const { startMs, stopMs } = await startOnce(variant, mode, dir, vault.address, tokenFile);
          starts.get(variant.name)?.push(startMs);
          stops.get(variant.name)?.push(stopMs);
        }
      }
      const base = quantile(starts.get(VARIANTS[0]?.name ?? '') ?? [], 0.5);
      const baseStop = quantile(stops.get(VARIANTS[0]?.name ?? '') ?? [], 0.5);
      console.log(
        mode === 'spare'
          ? `\nVault secrets, start as the plugin does it: spec to a spare task host -> first HTTP 200 (config-http, warm compile cache, ${RUNS} runs each, interleaved)`
          : `\nVault secrets, no spare: task host spawn -> first HTTP 200 (${RUNS} runs each, interleaved)`,
      );
      console.log(
        `  ${'task'.padEnd(40)} ${'p50'.padStart(10)} ${'p90'.padStart(10)} ${'p50 overhead'.padStart(13)} ${'SIGTERM -> exit p50'.padStart(20)}`,
      );
      for (const variant of VARIANTS) {
        const values = starts.get(variant.name) ?? [];
        const p50 = quantile(values, 0.5);
        const stop = quantile(stops.get(variant.name) ?? [], 0.5);
        console.log(
          `  ${variant.name.padEnd(40)} ${ms(p50).padStart(10)} ${ms(quantile(values, 0.9)).padStart(10)} ${(variant === VARIANTS[0] ? 'baseline' : `+${ms(p50 - base)}`).padStart(13)} ${`${ms(stop)}${variant === VARIANTS[0] ? '' : ` (${stop - baseStop >= 0 ? '+' : ''}${ms(stop - baseStop)})`}`.padStart(20)}`,
        );
      }
    }
    await getLatency(dir, vault.address, tokenFile);
  } finally {
    await vault.destroy();
    postgres.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function specFor(
  variant: Variant,
  dir: string,
  address: string,
  tokenFile: string,
  port: number,
  cacheDir: string,
): string {
  const stateDir = join(dir, `state-${process.hrtime.bigint()}`);
  mkdirSync(stateDir, { mode: 0o700 });
  return JSON.stringify({
    version: 2,
    taskId: 'bench/t/1',
    componentPath: COMPONENT,
    cacheDir,
    exitFile: join(stateDir, 'exit.json'),
    stateDir,
    grants: {
      args: ['config-http.wasm'],
      env: {},
      mounts: [],
      outboundHttp: [],
      httpInstance: 'shared',
      config: { values: { greeting: 'hello' }, secretKeys: variant.secretKeys, secretEnv: {} },
    },
    http: { host: '127.0.0.1', port },
    ...(variant.secrets.length > 0
      ? {
          vault: {
            connection: { address, timeoutMs: 5000 },
            token: { file: tokenFile },
            secrets: variant.secrets,
            staticRefreshMs: 0,
          },
        }
      : {}),
  });
}

type Mode = 'fresh' | 'spare';

/**
 * One start. `fresh`: a new task host process gets the spec at once
 * (spawn -> first 200). `spare`: as the plugin normally starts tasks, a
 * spare booted ahead (with `--preload-vault` when the task has secrets, as
 * on a node with a vault block) gets the spec after a pause (spec -> first 200).
 */
async function startOnce(
  variant: Variant,
  mode: Mode,
  dir: string,
  address: string,
  tokenFile: string,
): Promise<{ startMs: number; stopMs: number }> {
  const port = await freePort();
  let spec = specFor(variant, dir, address, tokenFile, port, join(dir, 'cache'));
  const flags = mode === 'spare' ? ['--spare', ...(variant.secrets.length > 0 ? ['--preload-vault'] : [])] : [];
  let started = performance.now();
  const child = spawn(process.execPath, [...HOST_NODE_FLAGS, TASK_HOST, ...flags], {
    stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
    env: {},
    detached: true,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (mode === 'spare') {
    await sleep(1500); // booted and preloaded, as a spare waiting for the next StartTask is
    spec = JSON.stringify({
      ...(JSON.parse(spec) as object),
      logPaths: { stdout: join(dir, 'stdout.log'), stderr: join(dir, 'stderr.log') },
    });
    started = performance.now();
  }
  child.stdin?.end(spec);
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdio[3] as Readable }).on('line', (line) => {
      const message = JSON.parse(line) as { type: string; message?: string };
      if (message.type === 'ready') resolve();
      if (message.type === 'failed') reject(new Error(`${variant.name}: ${message.message}`));
    });
    void exited.then(() => reject(new Error(`${variant.name}: task host exited: ${stderr}`)));
  });
  for (;;) {
    const response = await fetch(`http://127.0.0.1:${port}/get/${variant.probe}`).catch(() => undefined);
    if (response?.status === 200) {
      await response.text();
      break;
    }
    await sleep(1);
  }
  const startMs = performance.now() - started;
  await sleep(50);
  const stopping = performance.now();
  child.kill('SIGTERM');
  await exited;
  return { startMs, stopMs: performance.now() - stopping };
}

/** Per-call cost of get, seen from the guest and in the host alone. */
async function getLatency(dir: string, address: string, tokenFile: string): Promise<void> {
  const variant = VARIANTS[2];
  if (!variant) return;
  const port = await freePort();
  const child = spawn(process.execPath, [...HOST_NODE_FLAGS, TASK_HOST], {
    stdio: ['pipe', 'ignore', 'inherit', 'pipe'],
    env: {},
    detached: true,
  });
  child.stdin?.end(specFor(variant, dir, address, tokenFile, port, join(dir, 'cache')));
  await new Promise<void>((resolve) =>
    createInterface({ input: child.stdio[3] as Readable }).on(
      'line',
      (line) => (JSON.parse(line) as { type: string }).type === 'ready' && resolve(),
    ),
  );
  const calls = 200_000;
  const request = async (n: number, key: string): Promise<number> => {
    const t0 = performance.now();
    const response = await fetch(`http://127.0.0.1:${port}/repeat/${n}/${key}`);
    await response.text();
    return performance.now() - t0;
  };
  const perCall = async (key: string): Promise<number> => {
    const full: number[] = [];
    const empty: number[] = [];
    for (let i = 0; i < 7; i++) {
      empty.push(await request(0, key));
      full.push(await request(calls, key));
    }
    return ((quantile(full, 0.5) - quantile(empty, 0.5)) / calls) * 1e6; // ns
  };
  await perCall('db.password'); // warm-up: JIT
  const secretNs = await perCall('db.password');
  const plainNs = await perCall('greeting');
  child.kill('SIGTERM');

  // The host function alone, as jco's glue calls it (no lifting or lowering).
  const store = new SecretStore();
  store.set(
    'db',
    new Map([
      ['db.username', 'v-bench-user'],
      ['db.password', 'p'.repeat(20)],
    ]),
  );
  store.set('api', new Map([['api', 'bench-key']]));
  const { get } = configStoreInterfaces(
    configSource({ values: { greeting: 'hello' }, secretKeys: ['api', 'db.*'], secretEnv: {} }, store),
  )['wasi:config/store'] as { get: (key: string) => string | undefined };
  const hostNs = (key: string): number => {
    const n = 2_000_000;
    for (let i = 0; i < n; i++) get(key);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) get(key);
    return Number(process.hrtime.bigint() - t0) / n;
  };
  console.log(
    `\nwasi:config/store.get, per call (median of 7 requests of ${calls.toLocaleString('en')} calls, minus an empty request):`,
  );
  console.log(`  from the guest, secret key (db.password)   ${(secretNs / 1000).toFixed(2)} µs`);
  console.log(`  from the guest, plain value (greeting)     ${(plainNs / 1000).toFixed(2)} µs   (same-run baseline)`);
  console.log(`  host function alone, secret key            ${hostNs('db.password').toFixed(0)} ns`);
  console.log(`  host function alone, plain value           ${hostNs('greeting').toFixed(0)} ns`);
}

await main();
