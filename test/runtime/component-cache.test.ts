// The compile cache and component validation, on real components built from test/components.
import { mkdtemp, readdir, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareComponent, type PreparePhase } from '../../src/runtime/component-cache.js';
import { DriverError } from '../../src/errors.js';
import { glueNotice } from '../../src/runtime/glue-notice.js';

const COMPONENTS = process.env['WASM_TEST_COMPONENTS'] ?? new URL('../../.cache/components/', import.meta.url).pathname;
let cacheDir: string;

beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'wasm-cache-'));
});
afterEach(async () => rm(cacheDir, { recursive: true, force: true }));

async function phasesOf(component: string): Promise<PreparePhase[]> {
  const phases: PreparePhase[] = [];
  await prepareComponent(join(COMPONENTS, component), cacheDir, (p) => phases.push(p));
  return phases;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(DriverError);
    return `${(err as DriverError).code}: ${(err as DriverError).message}`;
  }
  throw new Error('expected a DriverError');
}

describe('prepareComponent', () => {
  it('detects the world and transpiles once per digest; the second start uses the cache', async () => {
    const first = await prepareComponent(join(COMPONENTS, 'hello-http.wasm'), cacheDir);
    expect(first.world).toBe('http');
    expect(first.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await phasesOf('hello-http.wasm')).toEqual(['loading', 'cached']);
    expect((await prepareComponent(join(COMPONENTS, 'hello-command.wasm'), cacheDir)).world).toBe('command');
  });

  it('starts of the same component at once end with one complete cache entry and no temp dirs', async () => {
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => prepareComponent(join(COMPONENTS, 'ticker.wasm'), cacheDir)),
    );
    expect(new Set(results.map((r) => r.dir)).size).toBe(1);
    const entries = await readdir(join(cacheDir, 'transpiled'));
    expect(entries.filter((e) => e.startsWith('.tmp-'))).toEqual([]);
    expect(entries).toHaveLength(1);
  });

  it('rebuilds a broken cache entry (glue missing) instead of failing', async () => {
    const first = await prepareComponent(join(COMPONENTS, 'hello-command.wasm'), cacheDir);
    await rm(first.glue);
    await rm(first.dir, { recursive: true });
    expect(await phasesOf('hello-command.wasm')).toEqual(['loading', 'compiling']);
  });

  it('refuses a file that is not WebAssembly, a core module that is no preview1 command, and a missing file, with codes', async () => {
    expect(await codeOf(prepareComponent(join(COMPONENTS, 'not-wasm.wasm'), cacheDir))).toMatch(
      /^COMPONENT_INVALID: .* is not WebAssembly/,
    );
    expect(await codeOf(prepareComponent(join(COMPONENTS, 'reactor-go.wasm'), cacheDir))).toMatch(
      /^WASI_PREVIEW1_NOT_A_COMMAND: .* is a WASI preview1 reactor/,
    );
    expect(await codeOf(prepareComponent(join(COMPONENTS, 'nope.wasm'), cacheDir))).toMatch(/^COMPONENT_NOT_FOUND/);
  });

  it('records the WASI release of the world: 0.3 components import 0.3 (and, from Python, 0.2) interfaces', async () => {
    const service = await prepareComponent(join(COMPONENTS, 'hello-http-p3.wasm'), cacheDir);
    expect(service).toMatchObject({
      world: 'http',
      wasi: '0.3',
      p3Imports: true,
      glueAsyncRuntime: true,
      glueAsyncLeaks: true,
      glueLiftMemo: true,
    });
    expect(glueNotice(service, true)).toBeUndefined(); // 0.3 glue is not told off for lacking the 0.2 rewrites
    expect(glueNotice({ ...service, glueLiftMemo: false }, false)).toContain(
      'was not rewritten by glue-lift-memo (lift and lower builders are made on every call)',
    );
    const command = await prepareComponent(join(COMPONENTS, 'command-p3.wasm'), cacheDir);
    expect(command).toMatchObject({ world: 'command', wasi: '0.3', p3Imports: true });
    const older = await prepareComponent(join(COMPONENTS, 'hello-http.wasm'), cacheDir);
    expect(older).toMatchObject({
      world: 'http',
      wasi: '0.2',
      p3Imports: false,
      glueAsyncRuntime: false,
      glueAsyncLeaks: false,
      glueLiftMemo: false,
    });
  });

  it('refuses a WASI 0.3 component importing an interface the driver does not host, naming it', async () => {
    expect(await codeOf(prepareComponent(join(COMPONENTS, 'p3-middleware.wasm'), cacheDir))).toBe(
      'COMPONENT_WORLD_UNSUPPORTED: the component imports interfaces this driver does not provide: wasi:http/handler@0.3.0 (not hosted by the WASI 0.3 host)',
    );
    expect(await readdir(join(cacheDir, 'transpiled')).catch(() => [])).toEqual([]);
  });

  it('a truncated component fails to transpile and leaves nothing in the cache', async () => {
    const bytes = await readFile(join(COMPONENTS, 'hello-command.wasm'));
    const broken = join(cacheDir, 'broken.wasm');
    await writeFile(broken, bytes.subarray(0, bytes.length / 2));
    expect(await codeOf(prepareComponent(broken, cacheDir))).toMatch(/^COMPONENT_TRANSPILE_FAILED/);
    const entries = await readdir(join(cacheDir, 'transpiled')).catch(() => []);
    expect(entries).toEqual([]);
  });

  it('with a digest the plugin already knows, a cached entry is found without reading the file', async () => {
    const bytes = await readFile(join(COMPONENTS, 'hello-command.wasm'));
    const copy = join(cacheDir, 'blob.wasm');
    await writeFile(copy, bytes);
    const first = await prepareComponent(copy, cacheDir);
    await rm(copy); // gone: only the digest can find the entry now
    const phases: PreparePhase[] = [];
    const again = await prepareComponent(copy, cacheDir, (p) => phases.push(p), first.digest);
    expect(phases).toEqual(['loading', 'cached']);
    expect(again).toEqual(first);
  });

  it('a file that no longer has the known digest is refused before it is compiled', async () => {
    const copy = join(cacheDir, 'changed.wasm');
    await writeFile(copy, await readFile(join(COMPONENTS, 'hello-command.wasm')));
    const other = `sha256:${'3'.repeat(64)}`;
    expect(await codeOf(prepareComponent(copy, cacheDir, () => undefined, other))).toMatch(
      /^COMPONENT_CHECKSUM_MISMATCH: .* changed: it hashes to sha256:[0-9a-f]{64}, not sha256:3{64}/,
    );
    const entries = await readdir(join(cacheDir, 'transpiled')).catch(() => []);
    expect(entries).toEqual([]);
  });
});
