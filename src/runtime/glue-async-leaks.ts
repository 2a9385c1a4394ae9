// What jco 1.35's async runtime keeps of every request a WASI 0.3 instance
// serves, let go, applied once when the glue is cached. A heap snapshot of
// a shared hello-http-p3 instance after 3,000 requests held ~14 KB per
// request (2 GB after 140,000): every stream and future it ever made, with
// their ends, waitables and copy buffers. Four registries kept them:
//
// 1. The copy-buffer registry: every buffer of every stream or future copy
//    went into a map that nothing reads. Buffers are no longer registered.
// 2. The global stream and future tables, read only to find again a stream
//    or future the host hands back to the guest. They now hold their
//    entries weakly (a slot is freed once its stream or future is
//    collected): whoever can hand one back holds it, through the ends its
//    handle closes over, so a lookup never misses one still in use.
// 3. The component's handle table and its stream and future tables, for
//    the ends the host holds: a response body the host read, a trailers
//    future it awaited, the future it answers the guest on. Only the guest
//    dropping its own ends took them out. Now they leave when the host is
//    done: it disposed of the stream, read the future, or the guest dropped
//    the readable end of a future the host writes (it read it, or never
//    will).
//
// Without them a shared instance had to be replaced every 500 requests,
// and each new instance brings new classes (the runtime is defined inside
// instantiate()): V8's caches across them go megamorphic and every request
// pays. With them an instance serves on (p3-instances.ts).
//
// Like glue-async-runtime.ts, this is written against jco 1.35.0's text
// and applies completely or not at all.
import { JCO_VERSION } from './jco-info.js';
import { ASYNC_RUNTIME_JCO_VERSION } from './glue-async-runtime.js';

export type AsyncLeaksResult = { readonly glue: string } | { readonly unavailable: string };

const INSTANTIATE_HEAD =
  'export function instantiate(getCoreModule, imports, instantiateCore = WebAssembly.instantiate) {\n';

const HELPERS = `  // nomad-driver-wasm (glue-async-leaks): weak global tables, and ends the host is done with let go.
  const _nomadTableGone = new WeakMap();
  function _nomadWeakInsert(table, value) {
    let gone = _nomadTableGone.get(table);
    if (!gone) _nomadTableGone.set(table, (gone = new FinalizationRegistry((rep) => table.remove(rep))));
    const rep = table.insert(new WeakRef(value));
    gone.register(value, rep);
    return rep;
  }
  function _nomadForget(cstate, end, tableMeta) {
    const idx = end.waitableIdx();
    if (cstate.handles.get(idx) === end) cstate.handles.remove(idx);
    const handle = end.handle();
    if (tableMeta?.table?.get(handle) === end) tableMeta.table.remove(handle);
  }
`;

interface Patch {
  readonly what: string;
  readonly find: string | RegExp;
  readonly replace: string;
  /** How many times it must match: a number, 'some' (at least once) or 'any' (none is fine too). */
  readonly times: number | 'some' | 'any';
}

const PATCHES: readonly Patch[] = [
  {
    what: 'the copy-buffer registry',
    find: `    if (instanceBuffers.has(nextBufID)) {
      throw new Error(\`managed buffer with ID [\${nextBufID}] already exists\`);
    }
    instanceBuffers.set(nextBufID, buffer);
`,
    replace: '',
    times: 1,
  },
  {
    what: 'entries of the global stream and future tables',
    find: /\b(STREAMS|FUTURES)\.insert\((\w+)\)/g,
    replace: '_nomadWeakInsert($1, $2)',
    times: 'some',
  },
  {
    what: 'lookups in the global stream and future tables',
    find: /\b(STREAMS|FUTURES)\.get\((\w+)\)/g,
    replace: '$1.get($2)?.deref()',
    times: 'any',
  },
  {
    what: 'the host disposing of a stream',
    find: 'dropFn: () => streamEnd.drop({ allowPendingEvent: true }),',
    replace:
      'dropFn: () => { streamEnd.drop({ allowPendingEvent: true }); _nomadForget(cstate, streamEnd, STREAM_TABLES[this.#streamTableIdx]); },',
    times: 1,
  },
  {
    what: 'the host having read a future',
    find: `      await getOrCreateAsyncState(componentIdx).waitForExclusiveRelease();
    }
    
    return { value: vs[0] };`,
    replace: `      await getOrCreateAsyncState(componentIdx).waitForExclusiveRelease();
    }
    
    const tableMeta = FUTURE_TABLES[this.futureTableIdx()];
    _nomadForget(getOrCreateAsyncState(tableMeta.componentIdx), this, tableMeta);
    return { value: vs[0] };`,
    times: 1,
  },
  {
    what: 'a future the host writes, paired with the readable end it gives the guest',
    find: /(hostWriteEnd: writeEnd,\n\s*\}\);\n(\s*)readEnd\.setHostInjectFn\(hostInjectFn\d*\);)/g,
    replace: '$1\n$2readEnd._nomadHostWriteEnd = writeEnd;',
    times: 'any',
  },
  {
    what: 'the guest dropping the readable end of a future the host writes',
    find: /(failed to remove futureEnd from table \(handle \[\$\{handle\}\]\)[^`\n]*`\);\n\s*\}\n\s*\n)(\s*)return futureEnd;/g,
    replace:
      '$1$2if (futureEnd._nomadHostWriteEnd) _nomadForget(cstate, futureEnd._nomadHostWriteEnd, FUTURE_TABLES[tableIdx]);\n$2return futureEnd;',
    times: 1,
  },
];

/** After the rewrite: nothing may read the buffer registry or use the global tables but as rewritten. */
function leftover(glue: string): string | undefined {
  if (/\.(?:getBuffer|deleteBuffer)\(/.test(glue)) return 'a read of the copy-buffer registry';
  const uses = glue.match(/\b(?:STREAMS|FUTURES)\.\w+/g)?.length ?? 0;
  const rewritten = glue.match(/\b(?:STREAMS|FUTURES)\.get\(\w+\)\?\.deref\(\)/g)?.length ?? 0;
  if (uses !== rewritten) return 'another use of the global stream or future table';
  if (/_genFutureHostInjectFn\(\{(?![^}]*hostWriteEnd: writeEnd,)/.test(glue))
    return 'a future the host writes that is not paired with its readable end';
  return undefined;
}

export function rewriteAsyncLeaks(glue: string): AsyncLeaksResult {
  if (JCO_VERSION !== ASYNC_RUNTIME_JCO_VERSION)
    return { unavailable: `written for jco ${ASYNC_RUNTIME_JCO_VERSION}, this is jco ${JCO_VERSION}` };
  if (!glue.includes(INSTANTIATE_HEAD))
    return { unavailable: 'no instantiate() in the glue (not jco async instantiation output)' };
  let out = glue;
  for (const patch of PATCHES) {
    const count =
      typeof patch.find === 'string' ? out.split(patch.find).length - 1 : (out.match(patch.find) ?? []).length;
    const ok = patch.times === 'any' || (patch.times === 'some' ? count > 0 : count === patch.times);
    if (!ok) return { unavailable: `${patch.what}: found ${count} times, expected ${patch.times}` };
    out =
      typeof patch.find === 'string'
        ? out.replaceAll(patch.find, patch.replace)
        : out.replace(patch.find, patch.replace);
  }
  const left = leftover(out);
  if (left !== undefined) return { unavailable: `${left} is left` };
  return { glue: out.replace(INSTANTIATE_HEAD, INSTANTIATE_HEAD + HELPERS) };
}
