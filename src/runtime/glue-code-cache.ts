// Loads a component's cached jco glue with a V8 code cache made after it
// ran, kept beside the glue.
//
// Node's own compile cache (enabled in the task host) stores the code V8
// compiled when a module was loaded: for jco's glue that is little more than
// the top level, because everything is inside `instantiate()` and V8
// compiles functions when first called. So every task host compiled
// jco's instantiate(), its binding closures and the trampolines it used
// (~250 KB of source for a small component, 1 MB for a JavaScript one) on
// every start. A code cache made once the glue has run holds all of those.
//
// The glue is an ES module (`export function instantiate`, `import.meta.url`
// in a fallback jco never takes here); it is run as a strict-mode script
// with those two spelled as a script can. Anything unexpected in it, or a cache V8 turns
// down (another V8, other flags), falls back to what worked before: an ES
// import, or compiling without the cache (and the cache is made again).
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import type { PreparedComponent } from './component-cache.js';

export type GlueModule = { readonly instantiate: (...args: never[]) => unknown };

const INSTANTIATE_HEAD =
  'export function instantiate(getCoreModule, imports, instantiateCore = WebAssembly.instantiate) {';
const TAIL = '\nexport const _util = {';

interface Loaded {
  readonly module: GlueModule;
  readonly script: Script | undefined;
  /** Whether a code cache should be written once the glue has run. */
  cacheWanted: boolean;
}

const loaded = new Map<string, Loaded>();

/** The cache file: per V8 version, since another V8 turns it down anyway. */
function cachePath(component: PreparedComponent): string {
  return `${component.glue}.v8-${process.versions.v8}.code-cache`;
}

export async function loadGlue(component: PreparedComponent): Promise<GlueModule> {
  const known = loaded.get(component.glue);
  if (known) return known.module;
  const source = readFileSync(component.glue, 'utf8');
  const head = source.indexOf(INSTANTIATE_HEAD);
  const tail = source.lastIndexOf(TAIL);
  if (head < 0 || tail < head || source.indexOf(INSTANTIATE_HEAD, head + 1) >= 0) {
    const module = (await import(pathToFileURL(component.glue).href)) as GlueModule;
    loaded.set(component.glue, { module, script: undefined, cacheWanted: false });
    return module;
  }
  const body = `${source.slice(0, head)}function instantiate(getCoreModule, imports, instantiateCore = WebAssembly.instantiate) {${source.slice(head + INSTANTIATE_HEAD.length, tail)}`;
  const wrapped = `(function () {\n'use strict';\n${body.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(component.glue).href))}\nreturn { instantiate };\n})()`;
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cachePath(component));
  } catch {
    cachedData = undefined;
  }
  const script = new Script(wrapped, { filename: component.glue, ...(cachedData ? { cachedData } : {}) });
  const module = script.runInThisContext() as GlueModule;
  loaded.set(component.glue, { module, script, cacheWanted: !cachedData || script.cachedDataRejected === true });
  return module;
}

/** Lets go of every loaded glue but these components'. */
export function forgetGlueExcept(...components: PreparedComponent[]): void {
  const kept = new Set(components.map((component) => component.glue));
  for (const glue of loaded.keys()) if (!kept.has(glue)) loaded.delete(glue);
}

/**
 * Once the glue has instantiated and served (a command ran, a first
 * request was answered): keeps a code cache of it if there is none yet.
 * Best effort: a cache that cannot be written only costs compiling again.
 */
export function keepGlueCode(component: PreparedComponent): void {
  const entry = loaded.get(component.glue);
  if (!entry?.script || !entry.cacheWanted) return;
  entry.cacheWanted = false;
  const path = cachePath(component);
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, entry.script.createCachedData());
    renameSync(temp, path);
  } catch {
    rmSync(temp, { force: true });
  }
}
