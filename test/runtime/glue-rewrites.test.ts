// The rewrites of jco's glue (src/runtime/glue-sync-calls.ts and
// glue-state-hooks.ts) on the glue jco really generates for the test
// components: they apply completely or not at all, and rewritten glue
// answers exactly as jco's own.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transpile } from '@bytecodealliance/jco';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GLUE_PRELUDE } from '../../src/runtime/glue-prelude.ts';
import { addStateHooks, STATE_HOOKS_JCO_VERSION, type GlueState } from '../../src/runtime/glue-state-hooks.ts';
import { rewriteSyncCalls, SYNC_CALLS_JCO_VERSION } from '../../src/runtime/glue-sync-calls.ts';
import { JCO_VERSION } from '../../src/runtime/jco-info.ts';
import { wasiHost } from '../../src/wasi/host.ts';
import { Fields } from '../../src/wasi/http-fields.ts';
import { IncomingRequest, ResponseOutparam, type OutgoingResponse } from '../../src/wasi/http-types.ts';

const COMPONENTS = process.env['WASM_TEST_COMPONENTS'] ?? new URL('../../.cache/components/', import.meta.url).pathname;
const SMALL = ['hello-http', 'echo-http', 'request-counter', 'hello-command', 'fs-probe', 'socket-probe'];
// otel-guest-current: a record argument written over several lines (wasi:otel on-start).
const LARGE = ['js-hello-http', 'js-http-probe', 'otel-guest-current'];

interface Transpiled {
  readonly glue: string;
  readonly files: Record<string, Uint8Array>;
}
const transpiled = new Map<string, Transpiled>();
let dir: string;

async function glueOf(name: string): Promise<Transpiled> {
  let entry = transpiled.get(name);
  if (!entry) {
    const output = await transpile(await readFile(join(COMPONENTS, `${name}.wasm`)), {
      name: 'component',
      instantiation: 'async',
      noTypescript: true,
      quiet: true,
    });
    const files = Object.fromEntries(Object.entries(output.files).filter(([file]) => file.endsWith('.wasm')));
    entry = {
      glue: Buffer.from(output.files['component.js'] as Uint8Array).toString('utf8'),
      files,
    };
    transpiled.set(name, entry);
  }
  return entry;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'glue-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const count = (text: string, pattern: RegExp): number => text.match(new RegExp(pattern.source, 'g'))?.length ?? 0;

// A jco upgrade must fail here, not skip: the rewrites match jco's text and
// step aside on any other version, which would silently cost the fast path.
it('the installed jco is the one the glue rewrites were checked against', () => {
  const checked = { syncCalls: SYNC_CALLS_JCO_VERSION, stateHooks: STATE_HOOKS_JCO_VERSION };
  expect(
    { syncCalls: JCO_VERSION, stateHooks: JCO_VERSION },
    `jco ${JCO_VERSION} is installed: re-check the glue rewrites (glue-sync-calls.ts, glue-state-hooks.ts) against its glue, then move their version constants`,
  ).toEqual(checked);
});

describe("rewrites of the installed jco's glue", () => {
  it.each([...SMALL, ...LARGE])('%s: every host call loses its task bookkeeping, exports keep theirs', async (name) => {
    const { glue } = await glueOf(name);
    const result = rewriteSyncCalls(glue);
    if (!('glue' in result)) throw new Error(result.unavailable);
    const trampolines = count(glue, /\bconst _trampoline\d+ = function\(/);
    expect(trampolines).toBeGreaterThan(0);
    expect(result.hostCalls).toBe(trampolines);
    expect(count(result.glue, /_lowerImportBackwardsCompat\.bind\(/)).toBe(0);
    expect(count(result.glue, /componentIdx: -1,/)).toBe(0); // no host tasks created anywhere
    expect(count(result.glue, /_createdReps\.add/)).toBe(0);
    // The call into the guest still runs as a jco task (trap marking, post-return).
    expect(count(result.glue, /callingWasmExport: true/)).toBe(count(glue, /callingWasmExport: true/));
  });

  it.each([...SMALL, ...LARGE])('%s: every capture table is handed to the host', async (name) => {
    const { glue } = await glueOf(name);
    const result = addStateHooks(glue);
    if (!('glue' in result)) throw new Error(result.unavailable);
    expect(count(result.glue, /_nomadCaptureTable\(new Map\(\)\)/)).toBe(
      count(glue, /const captureTable\d+= new Map\(\);/),
    );
  });

  it('gives up on the whole glue, never half of it, when one trampoline is not what it expects', async () => {
    const { glue } = await glueOf('echo-http');
    const last = glue.indexOf('const started = task.enterSync();');
    const altered = `${glue.slice(0, last)}const started = task.enterSync(true);${glue.slice(last + 'const started = task.enterSync();'.length)}`;
    const result = rewriteSyncCalls(altered);
    expect(result).toEqual({
      unavailable: expect.stringMatching(/_trampoline\d+: 0 matches for the task prologue/) as unknown,
    });
  });

  it('leaves glue with asynchronous lifts or lowers alone', async () => {
    const { glue } = await glueOf('hello-http');
    expect(rewriteSyncCalls(glue.replace('isAsync: false,', 'isAsync: true,'))).toEqual({
      unavailable: 'the component has asynchronous lifts or lowers',
    });
  });

  it.each(['hello-http', 'echo-http', 'request-counter'])(
    '%s: rewritten glue answers as the original does',
    async (name) => {
      const { glue, files } = await glueOf(name);
      const rewritten = rewriteSyncCalls(glue);
      const hooked = 'glue' in rewritten ? addStateHooks(rewritten.glue) : rewritten;
      if (!('glue' in hooked)) throw new Error(hooked.unavailable);
      const original = await answers(`${name}-original`, glue, files);
      const fast = await answers(`${name}-rewritten`, hooked.glue, files);
      expect(fast).toEqual(original);
      expect(original.length).toBeGreaterThan(0);
    },
  );

  it('hands the host the handle tables and capture tables when asked, and nothing when not', async () => {
    const { glue, files } = await glueOf('request-counter');
    const hooked = addStateHooks(glue);
    if (!('glue' in hooked)) throw new Error(hooked.unavailable);
    const instantiate = await writeGlue('request-counter-hooks', hooked.glue, files);
    let state: GlueState | undefined;
    const exports = await instantiate.run((s) => (state = s));
    expect(state?.handleTables().filter(Array.isArray).length).toBeGreaterThan(0);
    expect(state?.captureTables.every((table) => table instanceof Map)).toBe(true);
    call(exports, '/');
    // The guest leaked one `fields` resource: one table holds one more live entry.
    expect(state?.captureTables.some((table) => table.size > 0)).toBe(true);
    await expect(instantiate.run(undefined)).resolves.toBeDefined();
  });
});

interface WrittenGlue {
  run(onState: ((state: GlueState) => void) | undefined): Promise<Record<string, unknown>>;
}

async function writeGlue(name: string, glue: string, files: Record<string, Uint8Array>): Promise<WrittenGlue> {
  const target = await mkdtemp(join(dir, `${name}-`));
  for (const [file, bytes] of Object.entries(files)) await writeFile(join(target, file), bytes);
  await writeFile(join(target, 'component.js'), GLUE_PRELUDE + glue);
  const module = (await import(pathToFileURL(join(target, 'component.js')).href)) as {
    instantiate(
      get: (file: string) => Promise<WebAssembly.Module>,
      imports: object,
      core?: unknown,
      onState?: (state: GlueState) => void,
    ): Promise<Record<string, unknown>>;
  };
  const imports = wasiHost({
    args: [],
    env: {},
    stdout: () => undefined,
    stderr: () => undefined,
    mounts: [],
    outbound: { allow: [] },
  });
  const get = async (file: string): Promise<WebAssembly.Module> =>
    WebAssembly.compile(files[file] as Uint8Array<ArrayBuffer>);
  return {
    run: (onState) =>
      onState ? module.instantiate(get, imports, undefined, onState) : module.instantiate(get, imports),
  };
}

interface Answer {
  status: number;
  headers: [string, string][];
  body: string;
}

function call(exports: Record<string, unknown>, path: string, body = ''): Answer | string {
  const handler = exports['incomingHandler'] as { handle(request: IncomingRequest, out: ResponseOutparam): void };
  const request = new IncomingRequest(
    { tag: 'post' },
    path,
    'example',
    Fields.fromHost([['x-test', path]], true),
    Buffer.from(body),
  );
  const chunks: Buffer[] = [];
  let response: OutgoingResponse | undefined;
  const out = new ResponseOutparam({
    respond(outgoing) {
      response = outgoing;
      outgoing.bodyHandle.pipe.attach({ write: (bytes) => void chunks.push(Buffer.from(bytes)), end: () => undefined });
    },
    fail(error) {
      chunks.push(Buffer.from(`failed: ${error.tag}`));
    },
  });
  try {
    handler.handle(request, out);
  } catch (err) {
    return `trapped: ${(err as Error).message}`;
  }
  return {
    status: response?.statusCode() ?? 0,
    headers: response?.headers().toNodeHeaderPairs() ?? [],
    body: Buffer.concat(chunks).toString(),
  };
}

/** The same sequence of requests, traps included, on a fresh instance of this glue. */
async function answers(name: string, glue: string, files: Record<string, Uint8Array>): Promise<(Answer | string)[]> {
  const written = await writeGlue(name, glue, files);
  let exports = await written.run(undefined);
  const results: (Answer | string)[] = [];
  for (const [path, body] of [
    ['/', ''],
    ['/a?b=c', 'some body'],
    ['/grow', 'x'.repeat(10_000)],
    ['/', ''],
    ['/trap-early', ''],
    ['/', ''],
    ['/trap', ''],
    ['/', ''],
  ] as const) {
    const result = call(exports, path, body);
    results.push(result);
    if (typeof result === 'string') {
      // A trapped instance refuses to be entered again, in both glues alike.
      results.push(call(exports, '/'));
      exports = await written.run(undefined);
    }
  }
  return results;
}
