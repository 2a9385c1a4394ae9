// Turns a component file into something the task host can instantiate,
// transpiling it with jco only once per content digest per node.
//
// Cache entries live in <cacheDir>/transpiled/<hex>-<key>/ and are complete
// only once manifest.json exists: a new entry is built in a private temp dir
// and renamed into place, so concurrent starts of the same component never
// see half an entry, and the first rename wins.
//
// A WASI preview1 core module is adapted into a component first
// (preview1-adapter.ts); its entry is keyed by the module's own digest, the
// bytes the user published (and that signatures and checksums vouch for).
import { access, mkdir, mkdtemp, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DriverError } from '../errors.js';
import { readComponentFile, type ComponentFile } from './component-file.js';
import { GLUE_PRELUDE } from './glue-prelude.js';
import { JCO_VERSION } from './jco-info.js';
import { classifyWorld, worldItems, type WasiVersion, type WorldKind } from './component-world.js';
import { p3ImportMap } from '../wasi-p3/versions.js';
import {
  ADAPTED_FROM_PREVIEW1,
  adaptPreview1Command,
  checkPreview1Command,
  type AdaptedCommand,
} from './preview1-adapter.js';
import { hasVirtualMemoryLimit } from './virtual-memory-size.js';

/** Bump when the layout or transpile options change. */
const CACHE_FORMAT = 19;
const CACHE_KEY = `jco${JCO_VERSION}-f${CACHE_FORMAT}`;
const MANIFEST = 'manifest.json';
const GLUE = 'component.js';

export type ComponentWorld = WorldKind;

export interface PreparedComponent {
  readonly digest: string;
  readonly world: ComponentWorld;
  /** The WASI release of its export: 0.3 components run on async glue (run-command-p3.ts, serve-http-p3.ts). */
  readonly wasi: WasiVersion;
  /** It imports WASI 0.3 interfaces: its instances get the 0.3 host beside the 0.2 one. */
  readonly p3Imports: boolean;
  /** Directory with the transpiled JS glue and core modules. */
  readonly dir: string;
  readonly glue: string;
  /** The glue's host calls skip jco's task bookkeeping (glue-sync-calls.ts). */
  readonly glueSyncCalls: boolean;
  /** The glue hands its per-instance state to the host (glue-state-hooks.ts). */
  readonly glueStateHooks: boolean;
  /** WASI 0.3: the glue's async runtime wakes instead of polling and reports traps (glue-async-runtime.ts). */
  readonly glueAsyncRuntime: boolean;
  /** WASI 0.3: the glue lets go of what each request left behind (glue-async-leaks.ts): a shared instance serves on. */
  readonly glueAsyncLeaks: boolean;
  /** WASI 0.3: the glue makes its lift and lower builders once, and debug arguments only when on (glue-lift-memo.ts). */
  readonly glueLiftMemo: boolean;
  /** Why a glue rewrite was not applied (jco version, a glue shape it does not know). */
  readonly glueNotes: readonly string[];
  /** Set when the file was a WASI preview1 core module, adapted into a command component. */
  readonly adaptedFrom?: typeof ADAPTED_FROM_PREVIEW1;
  /** The adapted module's own core module file, when its memory is virtualized (preview1-adapter.ts). */
  readonly preview1MainModule?: string;
}

export type PreparePhase = 'loading' | 'adapting' | 'compiling' | 'cached';

interface Manifest {
  readonly digest: string;
  readonly world: ComponentWorld;
  readonly wasi: WasiVersion;
  readonly p3Imports: boolean;
  readonly imports: string[];
  readonly glueSyncCalls: boolean;
  readonly glueStateHooks: boolean;
  readonly glueAsyncRuntime: boolean;
  readonly glueAsyncLeaks: boolean;
  readonly glueLiftMemo: boolean;
  readonly glueNotes: string[];
  readonly adaptedFrom?: typeof ADAPTED_FROM_PREVIEW1;
  readonly preview1MainModule?: string;
}

export async function prepareComponent(
  componentPath: string,
  cacheDir: string,
  onPhase: (phase: PreparePhase) => void = () => undefined,
  knownDigest?: string,
): Promise<PreparedComponent> {
  onPhase('loading');
  if (knownDigest !== undefined) {
    const cached = await readManifest(entryDir(cacheDir, knownDigest));
    if (cached) {
      onPhase('cached');
      return prepared(cacheDir, cached);
    }
  }
  const file = await readComponentFile(componentPath);
  if (knownDigest !== undefined && file.digest !== knownDigest) {
    throw new DriverError(
      'COMPONENT_CHECKSUM_MISMATCH',
      `component ${componentPath} changed: it hashes to ${file.digest}, not ${knownDigest}`,
    );
  }
  const dir = entryDir(cacheDir, file.digest);
  const cached = knownDigest === undefined ? await readManifest(dir) : undefined;
  if (cached) {
    onPhase('cached');
    return prepared(cacheDir, cached);
  }
  const adapted = file.kind === 'core-module' ? await adaptModule(file, componentPath, onPhase) : undefined;
  onPhase('compiling');
  return prepared(cacheDir, await transpileInto(adapted?.component ?? file.bytes, file.digest, cacheDir, dir, adapted));
}

/** A core module runs only as a WASI preview1 command: checked, then adapted. */
async function adaptModule(
  file: ComponentFile,
  path: string,
  onPhase: (phase: PreparePhase) => void,
): Promise<AdaptedCommand> {
  checkPreview1Command(file.bytes, path);
  onPhase('adapting');
  return adaptPreview1Command(file.bytes, path);
}

/** The cache entry of a digest, if this node has one (nothing is read but its manifest). */
export async function cachedComponent(cacheDir: string, digest: string): Promise<PreparedComponent | undefined> {
  const manifest = await readManifest(entryDir(cacheDir, digest));
  return manifest && prepared(cacheDir, manifest);
}

function entryDir(cacheDir: string, digest: string): string {
  return join(cacheDir, 'transpiled', `${digest.replace('sha256:', '')}-${CACHE_KEY}`);
}

function prepared(cacheDir: string, manifest: Manifest): PreparedComponent {
  const dir = entryDir(cacheDir, manifest.digest);
  return {
    digest: manifest.digest,
    world: manifest.world,
    wasi: manifest.wasi,
    p3Imports: manifest.p3Imports,
    dir,
    glue: join(dir, GLUE),
    glueSyncCalls: manifest.glueSyncCalls,
    glueStateHooks: manifest.glueStateHooks,
    glueAsyncRuntime: manifest.glueAsyncRuntime,
    glueAsyncLeaks: manifest.glueAsyncLeaks,
    glueLiftMemo: manifest.glueLiftMemo,
    glueNotes: manifest.glueNotes,
    ...(manifest.adaptedFrom ? { adaptedFrom: manifest.adaptedFrom } : {}),
    ...(manifest.preview1MainModule ? { preview1MainModule: manifest.preview1MainModule } : {}),
  };
}

async function readManifest(dir: string): Promise<Manifest | undefined> {
  try {
    const manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as Manifest;
    await access(join(dir, GLUE)); // a manifest without its glue is a broken entry
    // Marks the entry as used for the cache's least-recently-used collection.
    const now = new Date();
    await utimes(join(dir, MANIFEST), now, now);
    return manifest;
  } catch {
    return undefined;
  }
}

type Jco = Pick<typeof import('@bytecodealliance/jco'), 'transpile' | 'componentWit'>;
type Transpile = Jco['transpile'];

async function transpileInto(
  bytes: Uint8Array,
  digest: string,
  cacheDir: string,
  dir: string,
  adapted: AdaptedCommand | undefined,
): Promise<Manifest> {
  // Loaded only on a cache miss: jco brings its whole wasm toolchain, which
  // a task host starting from the cache must not pay for in time or memory.
  const { transpile, componentWit } = (await import('@bytecodealliance/jco')) as Jco;
  // The world with its versions (jco's transpile output has them mapped or dropped).
  let wit: string;
  try {
    wit = await componentWit(bytes);
  } catch (err) {
    // A corrupt binary fails here first: the same code as when transpiling it fails.
    throw new DriverError('COMPONENT_TRANSPILE_FAILED', `jco could not read the component: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const world = classifyWorld(worldItems(wit));
  let output: Awaited<ReturnType<Transpile>>;
  try {
    output = await transpile(bytes, {
      name: 'component',
      instantiation: 'async',
      noTypescript: true,
      quiet: true,
      // WASI 0.3 imports under their own keys, apart from the 0.2 ones (src/wasi-p3/versions.ts).
      map: p3ImportMap(),
    });
  } catch (err) {
    throw new DriverError(
      'COMPONENT_TRANSPILE_FAILED',
      `jco could not transpile the component: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const glueText = Buffer.from(output.files[GLUE] ?? new Uint8Array()).toString('utf8');
  const glue = world.wasi === '0.3' ? await rewriteAsyncGlue(glueText) : await rewriteGlue(glueText);
  const manifest: Manifest = {
    digest,
    world: world.kind,
    wasi: world.wasi,
    p3Imports: world.p3Imports,
    imports: output.imports,
    glueSyncCalls: glue.syncCalls,
    glueStateHooks: glue.stateHooks,
    glueAsyncRuntime: glue.asyncRuntime,
    glueAsyncLeaks: glue.asyncLeaks,
    glueLiftMemo: glue.liftMemo,
    glueNotes: glue.notes,
    ...(adapted ? { adaptedFrom: ADAPTED_FROM_PREVIEW1 } : {}),
    ...(adapted?.virtualMemory ? { preview1MainModule: preview1MainModuleOf(output.files) } : {}),
  };

  await mkdir(join(cacheDir, 'transpiled'), { recursive: true });
  const temp = await mkdtemp(join(cacheDir, 'transpiled', '.tmp-'));
  try {
    for (const [name, content] of Object.entries(output.files)) {
      if (name.endsWith('.d.ts')) continue;
      await writeFile(join(temp, name), name === GLUE ? GLUE_PRELUDE + glue.text : content);
    }
    await writeFile(join(temp, MANIFEST), JSON.stringify(manifest));
    await rename(temp, dir).catch(async (err: NodeJS.ErrnoException) => {
      // Another task built the same entry first: theirs is as good as ours.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      await rm(temp, { recursive: true, force: true });
    });
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
  return manifest;
}

interface RewrittenGlue {
  readonly text: string;
  readonly syncCalls: boolean;
  readonly stateHooks: boolean;
  readonly asyncRuntime: boolean;
  readonly asyncLeaks: boolean;
  readonly liftMemo: boolean;
  readonly notes: string[];
}

/** jco's glue with our rewrites, each applied only where it recognises the glue. */
async function rewriteGlue(original: string): Promise<RewrittenGlue> {
  // Loaded only on a cache miss, like jco itself.
  const [{ rewriteSyncCalls }, { addStateHooks }] = await Promise.all([
    import('./glue-sync-calls.js'),
    import('./glue-state-hooks.js'),
  ]);
  const notes: string[] = [];
  let text = original;
  const syncCalls = rewriteSyncCalls(text);
  if ('glue' in syncCalls) text = syncCalls.glue;
  else notes.push(`host calls keep jco's task bookkeeping: ${syncCalls.unavailable}`);
  const stateHooks = addStateHooks(text);
  if ('glue' in stateHooks) text = stateHooks.glue;
  else notes.push(`per-request instances are built afresh: ${stateHooks.unavailable}`);
  return {
    text,
    syncCalls: 'glue' in syncCalls,
    stateHooks: 'glue' in stateHooks,
    asyncRuntime: false,
    asyncLeaks: false,
    liftMemo: false,
    notes,
  };
}

/**
 * A WASI 0.3 component's glue gets the async runtime's fixes, the lift
 * builders made once, and the state hooks with the async runtime's state
 * (per-request instances are reset: p3-instances.ts); the sync-call
 * rewrite above knows only the glue of synchronous lifts and lowers.
 */
async function rewriteAsyncGlue(original: string): Promise<RewrittenGlue> {
  const [{ rewriteAsyncRuntime }, { rewriteAsyncLeaks }, { memoizeLiftBuilders }, { addStateHooks }, asyncHooks] =
    await Promise.all([
      import('./glue-async-runtime.js'),
      import('./glue-async-leaks.js'),
      import('./glue-lift-memo.js'),
      import('./glue-state-hooks.js'),
      import('./glue-async-state-hooks.js'),
    ]);
  const notes: string[] = [];
  let text = original;
  const runtime = rewriteAsyncRuntime(text);
  if ('glue' in runtime) text = runtime.glue;
  else
    notes.push(
      `jco's async runtime polls on timers and does not report traps after a response: ${runtime.unavailable}`,
    );
  const leaks = rewriteAsyncLeaks(text);
  if ('glue' in leaks) text = leaks.glue;
  else notes.push(`a shared instance keeps what every request left and is replaced often: ${leaks.unavailable}`);
  const memo = memoizeLiftBuilders(text);
  if ('glue' in memo) text = memo.glue;
  else notes.push(`lift and lower builders are made on every call: ${memo.unavailable}`);
  // Resetting needs the trap hook too (an instance that trapped is never reset), and the async runtime's state.
  const resourceHooks =
    'glue' in runtime ? addStateHooks(text) : { unavailable: 'the async runtime was not rewritten' };
  const hooks = 'glue' in resourceHooks ? asyncHooks.addAsyncStateHooks(resourceHooks.glue) : resourceHooks;
  if ('glue' in hooks) text = hooks.glue;
  else notes.push(`per-request instances are built afresh: ${hooks.unavailable}`);
  return {
    text,
    syncCalls: false,
    stateHooks: 'glue' in hooks,
    asyncRuntime: 'glue' in runtime,
    asyncLeaks: 'glue' in leaks,
    liftMemo: 'glue' in memo,
    notes,
  };
}

/** The core module file of an adapted module (the one with the virtual memory limit); loud if none or several. */
function preview1MainModuleOf(files: Record<string, Uint8Array>): string {
  const found = Object.entries(files).filter(([name, bytes]) => name.endsWith('.wasm') && hasVirtualMemoryLimit(bytes));
  if (found.length !== 1 || !found[0])
    throw new DriverError(
      'COMPONENT_TRANSPILE_FAILED',
      `the adapted WASI preview1 module should be one core module of the transpiled component, found ${found.length}`,
    );
  return found[0][0];
}
