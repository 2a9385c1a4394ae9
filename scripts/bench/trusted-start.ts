// What supply-chain checks cost (README "Measured"): pull + verify of a
// ~12 MB component from a real registry on loopback, and the start overhead
// of a cached, verified OCI component against an unsigned local file, in
// the same run, through the driver's own ComponentProvider.
//   node scripts/bench/trusted-start.ts        (BENCH_RUNS=30 by default)
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { PluginConfig } from '../../src/config/plugin-config.ts';
import type { SignatureConfig } from '../../src/config/signature-config.ts';
import type { WasmTaskConfig } from '../../src/config/task-config.ts';
import { startRegistry } from '../../test/oci/support/registry.ts';
import { makeKey, messageSignatureBundle, signBytes } from '../../test/verify/support/key-signer.ts';

// The built driver (npm run build), as the plugin runs it: node's type
// stripping cannot run src/ as is.
const dist = new URL('../../dist/', import.meta.url).href;
const { defaultPluginConfig } = (await import(
  `${dist}config/plugin-config.js`
)) as typeof import('../../src/config/plugin-config.ts');
const { OciClient } = (await import(`${dist}oci/client.js`)) as typeof import('../../src/oci/client.ts');
const { parseOciReference } = (await import(`${dist}oci/reference.js`)) as typeof import('../../src/oci/reference.ts');
const { ComponentProvider } = (await import(
  `${dist}source/component-provider.js`
)) as typeof import('../../src/source/component-provider.ts');
const { StartAdmission } = (await import(
  `${dist}task/start-admission.js`
)) as typeof import('../../src/task/start-admission.ts');
const { prepareComponent } = (await import(
  `${dist}runtime/component-cache.js`
)) as typeof import('../../src/runtime/component-cache.ts');

const RUNS = Number(process.env['BENCH_RUNS'] ?? 30);
const PULL_RUNS = Math.max(3, Math.round(RUNS / 6));
const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const ROOT = join(import.meta.dirname, '../..');

/** A real component grown to ~12 MB by a trailing custom section (as debug info would). */
function withCustomSection(component: Buffer, bytes: number): Buffer {
  const name = Buffer.from('bench-padding');
  const payload = Buffer.concat([Buffer.from([name.length]), name, Buffer.alloc(bytes, 0x2a)]);
  const size: number[] = [];
  for (let n = payload.length; ;) {
    const byte = n & 0x7f;
    n >>>= 7;
    size.push(n === 0 ? byte : byte | 0x80);
    if (n === 0) break;
  }
  return Buffer.concat([component, Buffer.from([0x00, ...size]), payload]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const log = pino({ level: 'silent' });

/** A node: its own cache dir and task dir, one provider and admission (as one plugin process has). */
async function node(
  overrides: Partial<PluginConfig> = {},
): Promise<{ taskDir: string; cacheDir: string; provide: (component: string) => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'bench-node-'));
  const taskDir = join(root, 'task');
  await mkdir(join(taskDir, 'local'), { recursive: true });
  const config: PluginConfig = { ...defaultPluginConfig, cacheDir: join(root, 'cache'), ...overrides };
  const provider = new ComponentProvider(() => config);
  const admission = new StartAdmission(() => config);
  return {
    taskDir,
    cacheDir: config.cacheDir,
    async provide(component) {
      const taskConfig: WasmTaskConfig = {
        component,
        checksum: undefined,
        auth: undefined,
        args: [],
        env: {},
        passEnv: [],
        port: undefined,
        mounts: [],
        allowHttp: [],
        httpInstance: 'shared',
      };
      const start = {
        config: { job_id: 'bench', job_name: 'bench', task_group_name: 'g', name: 'task', alloc_id: 'a', env: {} },
        taskConfig,
        namespace: 'default',
        memoryMb: 0,
        memoryMaxMb: 0,
        report: () => undefined,
        log,
      } as unknown as Parameters<typeof admission.admit>[1];
      const history = admission.beginHistory(start);
      const provided = await provider.provide({ taskConfig, taskDir, report: () => undefined, log });
      await admission.admit(provided, start, history);
      provided.release();
    },
  };
}

const registry = await startRegistry();
try {
  const hello = await readFile(join(ROOT, '.cache/components/hello-command.wasm'));
  const big = withCustomSection(hello, 12 * 1024 * 1024);
  const key = makeKey();
  const client = new OciClient();
  const ref = `oci://${registry.host}/bench/big:1`;
  const pushed = await client.pushComponent(parseOciReference(ref), big);
  const bundle = messageSignatureBundle(big, signBytes(key.privateKey, big), { hint: key.hint });
  await client.pushReferrer(parseOciReference(ref), pushed.manifestDigest, BUNDLE_TYPE, bundle, BUNDLE_TYPE);
  const enforce: SignatureConfig = {
    default: { mode: 'enforce', keys: [key.publicPem], identities: [] },
    namespaces: {},
    trustedRoot: undefined,
  };

  // Cold: a fresh node cache each time, so every run downloads and verifies.
  const pullOnly: number[] = [];
  const pullVerify: number[] = [];
  for (let i = 0; i < PULL_RUNS; i++) {
    const fresh = await node();
    pullOnly.push(await timed(() => fresh.provide(ref)));
    const freshEnforcing = await node({ signatures: enforce });
    pullVerify.push(await timed(() => freshEnforcing.provide(ref)));
  }

  // Warm: the same node, component cached and verified; against a local file with no policy.
  const warm = await node({ signatures: enforce });
  await warm.provide(ref);
  const byDigest = `oci://${registry.host}/bench/big@${pushed.manifestDigest}`;
  await warm.provide(byDigest);
  const local = await node();
  await writeFile(join(local.taskDir, 'local', 'app.wasm'), big);
  const localMs: number[] = [];
  const cachedTagMs: number[] = [];
  const cachedDigestMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    localMs.push(await timed(() => local.provide('local/app.wasm')));
    cachedTagMs.push(await timed(() => warm.provide(ref)));
    cachedDigestMs.push(await timed(() => warm.provide(byDigest)));
  }
  // In the task host: finding the compiled component (cache warm) by reading
  // and hashing the file, as for an unverified local file, or by the digest
  // the plugin passes for cached blobs and verified files.
  const localPath = join(local.taskDir, 'local', 'app.wasm');
  const first = await prepareComponent(localPath, warm.cacheDir);
  const byHash: number[] = [];
  const byKnownDigest: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    byHash.push(await timed(() => prepareComponent(localPath, warm.cacheDir)));
    byKnownDigest.push(await timed(() => prepareComponent(localPath, warm.cacheDir, () => undefined, first.digest)));
  }
  const mib = (big.length / 1024 / 1024).toFixed(1);
  const f = (ms: number): string => ms.toFixed(2);
  console.log(
    `\nSupply chain (component ${mib} MiB, real registry on loopback, key-signed bundle as OCI referrer; medians):`,
  );
  console.log(`  pull, cold cache, policy off:             ${f(median(pullOnly))} ms (${PULL_RUNS} runs)`);
  console.log(
    `  pull + verify, cold cache, enforce:       ${f(median(pullVerify))} ms (verify adds ${f(median(pullVerify) - median(pullOnly))} ms)`,
  );
  console.log(`  unsigned local file, policy off:          ${f(median(localMs))} ms (${RUNS} runs; baseline)`);
  console.log(
    `  cached + verified, oci:// by tag:         ${f(median(cachedTagMs))} ms (+${f(median(cachedTagMs) - median(localMs))} ms: one manifest GET)`,
  );
  console.log(
    `  cached + verified, oci:// by digest:      ${f(median(cachedDigestMs))} ms (+${f(median(cachedDigestMs) - median(localMs))} ms)`,
  );
  console.log(`Task host finding the compiled component (cache warm):`);
  console.log(`  unverified local file: read + sha256:     ${f(median(byHash))} ms (baseline)`);
  console.log(
    `  cached blob / verified file, digest known: ${f(median(byKnownDigest))} ms (${(median(byHash) / median(byKnownDigest)).toFixed(0)}x less)`,
  );
} finally {
  await registry.stop();
}
