// Admission policy figures (README "Measured → Admission policy"), all from
// the built driver (dist/) in one run:
//   - policy evaluation per decision, p50/p99, for the example policies
//     (policy/examples compiled by OPA; BENCH_POLICY_BUNDLE, which
//     scripts/bench.sh builds) on prod inputs that are admitted and denied;
//     alone, and as a whole decision (evaluation, input digest, log line);
//   - attestation discovery and verification (a real registry with the
//     referrers API, provenance and an SBOM made by the real cosign), on a
//     cold cache (referrers listed, bundles fetched and verified) and a
//     warm one (the node's record read back).
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cosign, slsaProvenance } from '../../test/policy/support/cosign.ts';
import { startReferrersRegistry } from '../../test/oci/support/referrers-registry.ts';

const dist = new URL('../../dist/', import.meta.url).href;
const { loadPolicyFile } = (await import(
  `${dist}policy/policy-bundle.js`
)) as typeof import('../../src/policy/policy-bundle.ts');
const { PolicySet } = (await import(`${dist}policy/policy-set.js`)) as typeof import('../../src/policy/policy-set.ts');
const { POLICY_OFF } = (await import(
  `${dist}config/policy-config.js`
)) as typeof import('../../src/config/policy-config.ts');
const { digestOfJson } = (await import(
  `${dist}policy/canonical-json.js`
)) as typeof import('../../src/policy/canonical-json.ts');
const { OciClient } = (await import(`${dist}oci/client.js`)) as typeof import('../../src/oci/client.ts');
const { parseOciReference } = (await import(`${dist}oci/reference.js`)) as typeof import('../../src/oci/reference.ts');
const { fetchComponent } = (await import(
  `${dist}source/fetch-component.js`
)) as typeof import('../../src/source/fetch-component.ts');
const { attachedEvidence } = (await import(
  `${dist}source/attached-evidence.js`
)) as typeof import('../../src/source/attached-evidence.ts');
const { BlobStore } = (await import(`${dist}source/blob-store.js`)) as typeof import('../../src/source/blob-store.ts');
const { ManifestIndex } = (await import(
  `${dist}source/manifest-index.js`
)) as typeof import('../../src/source/manifest-index.ts');
const { parseComponentSource } = (await import(
  `${dist}source/component-source.js`
)) as typeof import('../../src/source/component-source.ts');
const { checkAttestations } = (await import(
  `${dist}trust/attestation-check.js`
)) as typeof import('../../src/trust/attestation-check.ts');
const { AttestationStore } = (await import(
  `${dist}trust/attestation-store.js`
)) as typeof import('../../src/trust/attestation-store.ts');
const { inventoryOf } = (await import(
  `${dist}sbom/component-inventory.js`
)) as typeof import('../../src/sbom/component-inventory.ts');
const { cycloneDxOf } = (await import(
  `${dist}sbom/cyclonedx-writer.js`
)) as typeof import('../../src/sbom/cyclonedx-writer.ts');

const ROOT = join(import.meta.dirname, '../..');
const DECISIONS = Number(process.env['BENCH_POLICY_DECISIONS'] ?? 5000);
const ATTESTATION_RUNS = Number(process.env['BENCH_RUNS'] ?? 15);
const bundle = process.env['BENCH_POLICY_BUNDLE'];
if (!bundle) throw new Error('BENCH_POLICY_BUNDLE must name the example policy bundle (scripts/bench.sh builds it)');

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}
const us = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`;
const ms = (value: number): string => `${value.toFixed(2)} ms`;

// ---- Evaluation per decision ------------------------------------------------
const admitted = JSON.parse(readFileSync(join(ROOT, 'policy/testdata/prod-input.json'), 'utf8')) as Record<
  string,
  unknown
>;
const grants = admitted['grants'] as Record<string, unknown>;
const denied = {
  ...admitted,
  grants: { ...grants, allow_http: ['api.example.com', 'evil.example.net'], memory_max_mb: 512 },
  provenance: [],
};
const policy = loadPolicyFile(bundle, 'wasm/admission/decision');
const set = PolicySet.for({ ...POLICY_OFF, default: { ...POLICY_OFF.default, mode: 'enforce', bundle } });
if (!policy.evaluate(admitted).allowed || policy.evaluate(denied).allowed)
  throw new Error('the sample inputs do not get the verdicts the benchmark expects');

function time(fn: () => unknown, runs: number): number[] {
  for (let i = 0; i < 200; i++) fn(); // warm up the JIT and the policy's heap
  const wall: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    wall.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return wall;
}
const rows: [string, number[]][] = [
  ['evaluate, prod input admitted', time(() => policy.evaluate(admitted), DECISIONS)],
  ['evaluate, prod input denied (3 reasons)', time(() => policy.evaluate(denied), DECISIONS)],
  [
    'whole decision (evaluate + input digest + log line), admitted',
    time(() => {
      const evaluation = set.evaluate('prod', admitted);
      JSON.stringify({ input_digest: digestOfJson(admitted), ...evaluation });
    }, DECISIONS),
  ],
];
console.log(
  `\nAdmission policy: the example policies (${bundle.split('/').pop()}), ${DECISIONS} decisions each, in-process OPA Wasm, wall time per decision (load average ${loadavg()[0]?.toFixed(1)}):`,
);
for (const [what, wall] of rows)
  console.log(
    `  ${what.padEnd(64)} p50 ${us(percentile(wall, 0.5)).padStart(9)}  p90 ${us(percentile(wall, 0.9)).padStart(9)}  p99 ${us(percentile(wall, 0.99)).padStart(10)}`,
  );

// ---- The plugin's start path with and without the policy ---------------------
// What a policy adds to StartTask happens here (fetch and admission); the
// rest of a start is the same either way. Local file, in the default namespace,
// as in the start benchmark; runs take turns.
const { ComponentProvider } = (await import(
  `${dist}source/component-provider.js`
)) as typeof import('../../src/source/component-provider.ts');
const { StartAdmission } = (await import(
  `${dist}task/start-admission.js`
)) as typeof import('../../src/task/start-admission.ts');
const { defaultPluginConfig } = (await import(
  `${dist}config/plugin-config.js`
)) as typeof import('../../src/config/plugin-config.ts');
const pino = (await import('pino')).default;
async function startPath(withPolicy: boolean): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), 'bench-start-'));
  const taskDir = join(root, 'task');
  mkdirSync(join(taskDir, 'local'), { recursive: true });
  copyFileSync(join(ROOT, '.cache/components/hello-command.wasm'), join(taskDir, 'local/app.wasm'));
  const config = {
    ...defaultPluginConfig,
    cacheDir: join(root, 'cache'),
    ...(withPolicy
      ? {
          policy: {
            ...POLICY_OFF,
            jobHistory: false,
            default: { ...POLICY_OFF.default, mode: 'enforce' as const, bundle },
          },
        }
      : {}),
  };
  const provider = new ComponentProvider(() => config);
  const admission = new StartAdmission(() => config);
  const log = pino({ level: 'debug' }, { write: () => undefined });
  const taskConfig = {
    component: 'local/app.wasm',
    checksum: undefined,
    auth: undefined,
    args: [],
    env: {},
    passEnv: [],
    port: undefined,
    mounts: [],
    allowHttp: [],
    httpInstance: 'shared' as const,
  };
  const start = {
    config: {
      job_id: 'bench',
      job_name: 'bench',
      task_group_name: 'g',
      name: 'task',
      alloc_id: 'a',
      node_id: 'n',
      node_name: 'n',
      parent_job_id: '',
      env: {},
    },
    taskConfig,
    namespace: 'default',
    memoryMb: 64,
    memoryMaxMb: 0,
    report: () => undefined,
    log,
  } as unknown as Parameters<typeof admission.admit>[1];
  return async () => {
    const history = admission.beginHistory(start);
    const provided = await provider.provide({ taskConfig, taskDir, report: () => undefined, log });
    await admission.admit(provided, start, history);
    provided.release();
  };
}
{
  const plain = await startPath(false);
  const judged = await startPath(true);
  const none: number[] = [];
  const withPolicy: number[] = [];
  for (let i = 0; i < 20; i++) await Promise.all([plain(), judged()]);
  for (let i = 0; i < DECISIONS / 10; i++) {
    let t = process.hrtime.bigint();
    await plain();
    none.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    await judged();
    withPolicy.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  console.log(
    `\nThe plugin's part of StartTask (fetch + admission) of a local command, ${none.length} runs each, taking turns:`,
  );
  console.log(
    `  no policy                                                        p50 ${us(percentile(none, 0.5)).padStart(9)}  p90 ${us(percentile(none, 0.9)).padStart(9)}`,
  );
  console.log(
    `  example policies (enforce; decision logged)                      p50 ${us(percentile(withPolicy, 0.5)).padStart(9)}  p90 ${us(percentile(withPolicy, 0.9)).padStart(9)}  (+${us(percentile(withPolicy, 0.5) - percentile(none, 0.5))} at p50)`,
  );
}

// ---- Attestation discovery and verification ---------------------------------
const registry = await startReferrersRegistry();
const cosign = new Cosign();
try {
  const hello = readFileSync(join(ROOT, '.cache/components/hello-http.wasm'));
  const client = new OciClient();
  const pushed = await client.pushComponent(parseOciReference(`oci://${registry.host}/bench/attested:1`), hello);
  const image = `${registry.host}/bench/attested@${pushed.manifestDigest}`;
  cosign.sign(image);
  cosign.attest(image, 'slsaprovenance1', slsaProvenance('https://github.com/acme/hello', 'refs/tags/v1'));
  const sbom = join(cosign.dir, 'sbom.cdx.json');
  writeFileSync(sbom, JSON.stringify(cycloneDxOf(inventoryOf(hello, `oci://${image}`), new Date())));
  cosign.attest(image, 'cyclonedx', readFileSync(sbom, 'utf8'));
  client.close();

  const signatures = {
    default: { mode: 'enforce' as const, keys: [cosign.publicKeyPem], identities: [] },
    namespaces: {},
    trustedRoot: undefined,
  };
  const cache = await mkdtemp(join(tmpdir(), 'bench-attest-'));
  const fetched = await fetchComponent(parseComponentSource(`oci://${image}`, undefined), {
    taskDir: cache,
    store: new BlobStore(cache),
    manifests: new ManifestIndex(cache),
    registries: [],
    auth: undefined,
    maxBytes: 64 * 1024 * 1024,
    report: () => undefined,
  });
  const check = (store: InstanceType<typeof AttestationStore>) =>
    checkAttestations(
      attachedEvidence(fetched, cache, `oci://${image}`),
      signatures.default,
      signatures,
      { provenance: true, sbom: true },
      store,
      true,
    );
  const timed = async (fn: () => Promise<unknown>): Promise<number> => {
    const start = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const cold: number[] = [];
  for (let i = 0; i < ATTESTATION_RUNS; i++) {
    const store = new AttestationStore(await mkdtemp(join(tmpdir(), 'bench-records-')));
    cold.push(
      await timed(async () => {
        const outcome = await check(store);
        if (outcome.fromCache || outcome.provenance.length !== 1 || outcome.sbom.length !== 1)
          throw new Error('unexpected attestation outcome');
      }),
    );
  }
  const warmStore = new AttestationStore(await mkdtemp(join(tmpdir(), 'bench-records-')));
  await check(warmStore);
  const warm: number[] = [];
  for (let i = 0; i < ATTESTATION_RUNS; i++)
    warm.push(
      await timed(async () => {
        if (!(await check(warmStore)).fromCache) throw new Error('the warm check did not read its record');
      }),
    );
  if (fetched.kind === 'oci') fetched.client.close();
  console.log(
    `\nAttestations (SLSA provenance + CycloneDX SBOM by cosign attest, key-signed, go-containerregistry's registry with the referrers API on loopback), ${ATTESTATION_RUNS} runs:`,
  );
  console.log(
    `  cold cache: list referrers, fetch 3 bundles, verify 2 attestations   p50 ${ms(percentile(cold, 0.5)).padStart(9)}   p90 ${ms(percentile(cold, 0.9)).padStart(9)}`,
  );
  console.log(
    `  warm cache: the node's record for this digest and trust               p50 ${ms(percentile(warm, 0.5)).padStart(9)}   p90 ${ms(percentile(warm, 0.9)).padStart(9)}`,
  );
} finally {
  cosign.remove();
  await registry.stop();
}
