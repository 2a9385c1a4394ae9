// What a component carries about itself, as the driver reads it (imports
// and exports for the policy input; producers, nested units, metadata and
// cargo-auditable packages for `nomad-wasm sbom`), against the real tools:
// jco's componentWit and metadataShow (wasm-tools inside) read the same
// binaries; CycloneDX's own validator (@cyclonedx/cyclonedx-library) and the
// SPDX project's (spdx-tools) accept what `nomad-wasm sbom` writes.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { componentWit, metadataShow } from '@bytecodealliance/jco';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { componentUnits } from '../../src/component-meta/component-metadata.js';
import { componentWorld } from '../../src/component-meta/component-world.js';
import { summarizeWit } from '../../src/cli/world-summary.js';
import { inventoryOf } from '../../src/sbom/component-inventory.js';
import { cycloneDxOf } from '../../src/sbom/cyclonedx-writer.js';
import { summarizeCycloneDx, summarizeSpdx } from '../../src/sbom/sbom-summary.js';
import { spdxOf } from '../../src/sbom/spdx-writer.js';
import { COMPONENTS } from '../runtime/support/task-host.js';
import { nomadWasm } from '../runtime/support/cli.js';

const NAMES = ['hello-command', 'hello-http', 'echo-http', 'js-hello-command', 'js-hello-http'];
const ROOT = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'sbom-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A custom section at the top level of a component: id 0, size, name, payload. */
function customSection(name: string, payload: Buffer): Buffer {
  const nameBytes = Buffer.from(name);
  const body = Buffer.concat([leb(nameBytes.length), nameBytes, payload]);
  return Buffer.concat([Buffer.from([0]), leb(body.length), body]);
}
function leb(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return Buffer.from(out);
}

/**
 * hello-command with the sections `wasm-tools metadata add` writes (each
 * payload the UTF-8 text) and the `.dep-v0` section cargo-auditable writes
 * (zlib-compressed JSON of its package list). Written here in those tools'
 * formats: this machine has no Rust Wasm target to run cargo-auditable.
 */
function describedComponent(): Buffer {
  const hello = readFileSync(join(COMPONENTS, 'hello-command.wasm'));
  const deps = {
    packages: [
      { name: 'hello', version: '1.4.0', source: 'local', kind: 'runtime', dependencies: [1, 2], root: true },
      { name: 'wit-bindgen', version: '0.30.0', source: 'crates.io', kind: 'runtime', dependencies: [] },
      { name: 'cc', version: '1.1.6', source: 'crates.io', kind: 'build', dependencies: [] },
    ],
  };
  const fields: Record<string, string> = {
    licenses: 'Apache-2.0 OR MIT',
    source: 'https://github.com/acme/hello',
    revision: '0123456789abcdef0123456789abcdef01234567',
    version: '1.4.0',
    description: 'says hello',
  };
  return Buffer.concat([
    hello,
    ...Object.entries(fields).map(([k, v]) => customSection(k, Buffer.from(v))),
    customSection('.dep-v0', deflateSync(Buffer.from(JSON.stringify(deps)))),
  ]);
}

describe('component imports and exports, as jco componentWit reads them', () => {
  it.each(NAMES)('%s', async (name) => {
    const bytes = readFileSync(join(COMPONENTS, `${name}.wasm`));
    const ours = componentWorld(bytes, name);
    const jco = summarizeWit(await componentWit(bytes));
    expect(ours.imports).toEqual(jco.imports);
    expect(ours.exports).toEqual(jco.exports);
    expect(ours.world).toBe(name.endsWith('http') ? 'http' : 'command');
  });
});

describe('the worlds of what else the driver runs, for the policy input', () => {
  it.each([
    ['hello-http-p3', 'http'],
    ['command-p3', 'command'],
  ])('WASI 0.3 %s: %s, with the imports and exports jco componentWit reads', async (name, world) => {
    const bytes = readFileSync(join(COMPONENTS, `${name}.wasm`));
    const ours = componentWorld(bytes, name);
    const jco = summarizeWit(await componentWit(bytes));
    expect(ours.imports).toEqual(jco.imports);
    expect(ours.exports).toEqual(jco.exports);
    expect(ours.world).toBe(world);
  });

  it.each([
    ['wasip1-probe', 'command'],
    ['reactor-go', 'unknown'],
  ])('WASI preview1 module %s: %s, its core imports and exports as V8 reads them', (name, world) => {
    const bytes = readFileSync(join(COMPONENTS, `${name}.wasm`));
    const ours = componentWorld(bytes, name);
    const module = new WebAssembly.Module(bytes);
    expect(ours.imports).toEqual(WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`));
    expect(ours.exports).toEqual(WebAssembly.Module.exports(module).map((e) => e.name));
    expect(ours.imports).toContain('wasi_snapshot_preview1.fd_write');
    expect(ours.world).toBe(world);
  });
});

describe('nested units and producers, as jco metadataShow (wasm-tools) reads them', () => {
  it.each(NAMES)('%s', async (name) => {
    const bytes = readFileSync(join(COMPONENTS, `${name}.wasm`));
    const ours = componentUnits(bytes, name);
    const theirs = await metadataShow(bytes);
    expect(ours.map((u) => u.kind)).toEqual(theirs.map((m) => m.metaType.tag));
    expect(ours.map((u) => u.name ?? null)).toEqual(theirs.map((m) => m.name ?? null));
    expect(ours.map((u) => u.parent ?? null)).toEqual(theirs.map((m) => m.parentIndex ?? null));
    const producers = (fields: readonly [string, readonly (readonly [string, string])[]][]) =>
      fields.flatMap(([field, values]) => values.map(([n, v]) => `${field}:${n}:${v}`)).sort();
    expect(ours.map((u) => u.producers.map((p) => `${p.field}:${p.name}:${p.version}`).sort())).toEqual(
      theirs.map((m) => producers(m.producers)),
    );
    // Not trivially equal: the JavaScript components are made by several toolchains.
    if (name.startsWith('js-'))
      expect(ours.flatMap((u) => u.producers.map((p) => p.name))).toEqual(
        expect.arrayContaining(['ComponentizeJS', 'clang']),
      );
  });
});

describe('nomad-wasm sbom', () => {
  let pyspdxtools = '';
  beforeAll(() => {
    pyspdxtools =
      execFileSync('bash', [join(ROOT, 'scripts/ensure-spdx-tools.sh')], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .pop() ?? '';
  });

  it('reads the wasm-metadata fields and cargo-auditable packages a component carries', () => {
    const inventory = inventoryOf(describedComponent(), 'oci://registry.example.com/acme/hello:1.4.0');
    expect(inventory).toMatchObject({
      name: 'hello',
      version: '1.4.0',
      licenses: 'Apache-2.0 OR MIT',
      source: 'https://github.com/acme/hello',
      revision: '0123456789abcdef0123456789abcdef01234567',
      description: 'says hello',
    });
    expect(inventory.dependencies.map((d) => `${d.name}@${d.version} ${d.kind}`)).toEqual([
      'hello@1.4.0 runtime',
      'wit-bindgen@0.30.0 runtime',
      'cc@1.1.6 build',
    ]);
  });

  it('writes CycloneDX 1.6 that CycloneDX validates, with purls, and reads back as the driver reads attested SBOMs', async () => {
    const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
    const described = cycloneDxOf(inventoryOf(describedComponent(), 'hello.wasm'), new Date());
    expect(await validator.validate(JSON.stringify(described))).toBeNull();
    expect(summarizeCycloneDx(described)).toEqual(
      expect.arrayContaining([
        { name: 'hello', version: '1.4.0', purl: null, licenses: ['Apache-2.0 OR MIT'] },
        { name: 'wit-bindgen', version: '0.30.0', purl: 'pkg:cargo/wit-bindgen@0.30.0', licenses: [] },
      ]),
    );
    // A broken document is refused: the validator really validates.
    const broken = { ...described, components: [{ type: 'wasm-module', name: 'x' }] };
    expect(await validator.validate(JSON.stringify(broken))).not.toBeNull();
  });

  it.each(NAMES)('CycloneDX of %s, through the CLI, is valid CycloneDX 1.6', async (name) => {
    const out = join(dir, `${name}.cdx.json`);
    const cli = await nomadWasm(['sbom', join(COMPONENTS, `${name}.wasm`), '--output', out]);
    expect(cli.code).toBe(0);
    expect(cli.stderr).toMatch(/wrote CycloneDX 1\.6 SBOM of .* \(sha256:[0-9a-f]{64}, \d+ nested units, 0 packages\)/);
    const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
    expect(await validator.validate(readFileSync(out, 'utf8'))).toBeNull();
  });

  it('writes SPDX 2.3 that the SPDX tools accept, and reads back as the driver reads attested SBOMs', () => {
    const document = spdxOf(inventoryOf(describedComponent(), 'hello.wasm'), new Date());
    const path = join(dir, 'hello.spdx.json');
    writeFileSync(path, JSON.stringify(document));
    const ok = spawnSync(pyspdxtools, ['-i', path], { encoding: 'utf8' });
    expect(`${ok.stdout}${ok.stderr}`).toBe('');
    expect(ok.status).toBe(0);
    expect(summarizeSpdx(document)).toEqual(
      expect.arrayContaining([
        { name: 'hello', version: '1.4.0', purl: null, licenses: ['Apache-2.0 OR MIT'] },
        { name: 'wit-bindgen', version: '0.30.0', purl: 'pkg:cargo/wit-bindgen@0.30.0', licenses: [] },
      ]),
    );
    // A broken document is refused: the validator really validates.
    writeFileSync(path, JSON.stringify({ ...document, SPDXID: 'not-an-spdx-id' }));
    expect(spawnSync(pyspdxtools, ['-i', path], { encoding: 'utf8' }).status).not.toBe(0);
  });
});
