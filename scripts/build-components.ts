// Builds the test and example components from the sources in
// test/components/ into .cache/components/<name>.wasm (never committed).
//
// - wat/<name>.wat without a `(module` line: a wasi:cli command body; it is
//   spliced into a module after wat/prelude.wat and adapted with jco's
//   bundled WASI preview1 command adapter.
// - wat/<name>.wat starting with `(module`: a component-model core module
//   for a world in wit/ (named by a `;; world: <name>` line, default
//   http-handler), embedded and wrapped as is. Lines
//   `;; variant: <name> world=<world> TOKEN=value` build one component per
//   line instead, named <name>, with TOKEN replaced in the source (e.g. the
//   version of an imported interface).
// - js/<name>.js: a JavaScript component built with componentize-js
//   (StarlingMonkey, ~12 MB) for the world on its `// world: <name>` line.
//   These are the "large" components of the benchmarks; each takes 10–20 s.
// - python/<name>/: a Python app built by componentize-py from PyPI
//   (scripts/components/python.ts says how).
// - go/<name>/: a Go program built with GOOS=wasip1 into a WASI preview1 core
//   module (scripts/components/go.ts).
// Up-to-date outputs (same sources, same toolchain) are skipped.
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { componentEmbed, componentNew, parse, preview1AdapterCommandPath } from '@bytecodealliance/jco';
import { JCO_DIR, JCO_VERSION } from '../src/runtime/jco-info.ts';
import { buildIfChanged, hash, type BuiltComponents } from './components/cache.ts';
import { buildGoPrograms } from './components/go.ts';
import { buildPythonComponents } from './components/python.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = join(ROOT, 'test/components');
const OUT = process.env['WASM_TEST_COMPONENTS'] ?? join(ROOT, '.cache/components');
const WASI_WIT = join(JCO_DIR, 'lib/wit/builtin/0.2.12');
// Its package.json is not in the package's exports: read it from node_modules.
const COMPONENTIZE_JS_VERSION = (
  JSON.parse(await readFile(join(ROOT, 'node_modules/@bytecodealliance/componentize-js/package.json'), 'utf8')) as {
    version: string;
  }
).version;

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const prelude = await readFile(join(SOURCES, 'wat/prelude.wat'), 'utf8');
  const witSource = await readFile(join(SOURCES, 'wit/http-handler.wit'), 'utf8');
  const names = (await readdir(join(SOURCES, 'wat'))).filter(
    (f) =>
      f.endsWith('.wat') &&
      f !== 'prelude.wat' &&
      !/^;; variant: /m.test(readFileSync(join(SOURCES, 'wat', f), 'utf8')),
  );
  const digests: BuiltComponents = {};
  const writeTo = (build: () => Promise<Uint8Array>) => async (target: string) => writeFile(target, await build());
  for (const file of names.sort()) {
    const name = file.replace(/\.wat$/, '');
    const source = await readFile(join(SOURCES, 'wat', file), 'utf8');
    const standalone = /^\s*\(module/m.test(source.replace(/;;.*$/gm, ''));
    const key = hash(`${JCO_VERSION}\n${standalone ? witSource : prelude}\n${source}`);
    digests[name] = await buildIfChanged(
      OUT,
      name,
      key,
      writeTo(() => (standalone ? buildHttpComponent(source) : buildCommandComponent(prelude, source))),
    );
  }
  for (const [name, source] of await variantSources(names)) {
    const key = hash(`${JCO_VERSION}\n${witSource}\n${source}`);
    digests[name] = await buildIfChanged(
      OUT,
      name,
      key,
      writeTo(() => buildHttpComponent(source)),
    );
  }
  for (const file of (await readdir(join(SOURCES, 'js'))).filter((f) => f.endsWith('.js')).sort()) {
    const name = file.replace(/\.js$/, '');
    const source = await readFile(join(SOURCES, 'js', file), 'utf8');
    const key = hash(`componentize-js ${COMPONENTIZE_JS_VERSION}\n${witSource}\n${source}`);
    digests[name] = await buildIfChanged(
      OUT,
      name,
      key,
      writeTo(() => buildJsComponent(join(SOURCES, 'js', file), source)),
    );
  }
  Object.assign(digests, await buildPythonComponents(ROOT, OUT), await buildGoPrograms(ROOT, OUT));
  await writeBadInputs(prelude);
  await writeFile(join(OUT, 'components.json'), `${JSON.stringify(digests, null, 2)}\n`);
  console.log(`${Object.keys(digests).length} components in ${OUT}`);
}

/** Sources with `;; variant:` lines, one entry per variant: [name, source with its tokens replaced]. */
async function variantSources(skip: readonly string[]): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for (const file of (await readdir(join(SOURCES, 'wat')))
    .filter((f) => f.endsWith('.wat') && !skip.includes(f))
    .sort()) {
    const source = await readFile(join(SOURCES, 'wat', file), 'utf8');
    for (const [, name = '', settings = ''] of source.matchAll(/^;; variant: ([a-z0-9-]+) (.*)$/gm)) {
      let text = source.replace(/^;; variant: .*$/gm, '');
      let world = 'http-handler';
      for (const setting of settings.trim().split(/\s+/)) {
        const [token = '', value = ''] = setting.split('=');
        if (token === 'world') world = value;
        else text = text.replaceAll(token, value);
      }
      out.push([name, `;; world: ${world}\n${text}`]);
    }
  }
  return out;
}

async function buildCommandComponent(prelude: string, body: string): Promise<Uint8Array> {
  const core = await parse(`(module\n${prelude}\n${body}\n)`);
  const adapter = await readFile(preview1AdapterCommandPath());
  return componentNew(core, [['wasi_snapshot_preview1', adapter]]);
}

async function buildHttpComponent(source: string): Promise<Uint8Array> {
  const world = /^;; world: ([a-z-]+)/m.exec(source)?.[1] ?? 'http-handler';
  return withWitDir(async (witDir) => {
    const core = await parse(source);
    const embedded = await componentEmbed({ binary: core, witPath: witDir, world });
    return await componentNew(embedded, []);
  });
}

async function buildJsComponent(sourcePath: string, source: string): Promise<Uint8Array> {
  const world = /^\/\/ world: ([a-z-]+)/m.exec(source)?.[1];
  if (!world) throw new Error(`${sourcePath}: missing a "// world: <name>" line`);
  // Loaded only when a JS component needs building: it is a large toolchain.
  const { componentize } = await import('@bytecodealliance/componentize-js');
  return withWitDir(async (witPath) => (await componentize({ sourcePath, witPath, worldName: world })).component);
}

/** The test WIT plus jco's WASI 0.2.12 packages as deps/, in a temp dir. */
async function withWitDir<T>(build: (witDir: string) => Promise<T>): Promise<T> {
  const witDir = await mkdtemp(join(tmpdir(), 'wit-'));
  try {
    await cp(join(SOURCES, 'wit/http-handler.wit'), join(witDir, 'world.wit'));
    await mkdir(join(witDir, 'deps'));
    for (const dep of await readdir(WASI_WIT)) {
      if (dep.startsWith('wasi-')) await symlink(join(WASI_WIT, dep), join(witDir, 'deps', dep));
    }
    // WASI proposals jco does not ship (wasi:config), written out in wit/deps.
    for (const dep of await readdir(join(SOURCES, 'wit/deps')))
      await symlink(join(SOURCES, 'wit/deps', dep), join(witDir, 'deps', dep));
    return await build(witDir);
  } finally {
    await rm(witDir, { recursive: true, force: true });
  }
}

/** Inputs the driver must refuse: a file that is not Wasm, and a core module that is not a component. */
async function writeBadInputs(prelude: string): Promise<void> {
  await writeFile(join(OUT, 'not-wasm.wasm'), 'this is a text file, not WebAssembly\n');
  const body = await readFile(join(SOURCES, 'wat/hello-command.wat'), 'utf8');
  await writeFile(join(OUT, 'core-module.wasm'), await parse(`(module\n${prelude}\n${body}\n)`));
}

await main();
