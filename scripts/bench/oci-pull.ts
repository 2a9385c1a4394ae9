// Push and pull of a 12 MiB component through src/oci against a local
// distribution registry (Debian docker-registry, see scripts/ensure-registry.sh):
// best of N wall times in ms, next to node's fetch() of the same blob into
// memory (no auth, no hashing, no disk) as the baseline. Not a timed test; run with
//   npm run build && node scripts/bench/oci-pull.ts        (BENCH_OCI_RUNS=5 by default)
// It loads the client from dist/: node's type stripping cannot run src/ as is.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry } from '../../test/oci/support/registry.ts';

const dist = new URL('../../dist/oci/', import.meta.url).href;
const { OciClient } = (await import(`${dist}client.js`)) as typeof import('../../src/oci/client.ts');
const { parseOciReference } = (await import(`${dist}reference.js`)) as typeof import('../../src/oci/reference.ts');

const SIZE = 12 * 1024 * 1024;
const runs = Number(process.env['BENCH_OCI_RUNS'] ?? 5);
const registry = await startRegistry();
const work = await mkdtemp(join(tmpdir(), 'bench-oci-'));
const client = new OciClient();
try {
  const push: number[] = [];
  const pull: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Fresh bytes each run, so every push uploads the whole blob.
    const component = randomBytes(SIZE);
    const ref = parseOciReference(`${registry.host}/bench/app:${i}`);
    let start = performance.now();
    await client.pushComponent(ref, component);
    push.push(performance.now() - start);

    start = performance.now();
    const resolved = await client.resolveComponent(ref);
    const dest = join(work, `app-${i}.wasm`);
    await client.downloadBlob(ref, resolved.layer.digest, dest, { size: resolved.layer.size });
    pull.push(performance.now() - start);
  }
  const baseline: number[] = [];
  const last = await client.resolveComponent(parseOciReference(`${registry.host}/bench/app:${runs - 1}`));
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const response = await fetch(`http://${registry.host}/v2/bench/app/blobs/${last.layer.digest}`);
    const bytes = await response.arrayBuffer();
    baseline.push(performance.now() - start);
    if (bytes.byteLength !== SIZE) throw new Error(`baseline fetched ${bytes.byteLength} bytes`);
  }
  const best = (xs: number[]): string => Math.min(...xs).toFixed(1);
  console.log(`oci push 12 MiB component (blob + config + manifest): best of ${runs} ${best(push)} ms`);
  console.log(`oci pull 12 MiB (resolve + streamed, sha256-verified download): best of ${runs} ${best(pull)} ms`);
  console.log(`baseline: fetch() of the same 12 MiB blob into memory: best of ${runs} ${best(baseline)} ms`);
} finally {
  client.close();
  await registry.stop();
  await rm(work, { recursive: true, force: true });
}
