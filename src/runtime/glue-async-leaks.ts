// What jco 1.35's async runtime keeps of every request a WASI 0.3 instance
// serves, let go, applied once when the glue is cached. A heap snapshot of
// a shared hello-http-p3 instance after 3,000 requests held ~14 KB per
// request (2 GB after 140,000): every stream and future it ever made, with
// their ends, waitables and copy buffers. Three registries kept them, and
// a set grew:
//
// 1. The copy-buffer registry: every buffer of every stream or future copy
//    went into a map that nothing reads. Buffers are no longer registered.
// 2. The global stream and future tables, read only to find again a stream
//    or future the host hands back to the guest: the object the host holds
//    carries its rep, and lowering it looks the rep up. The rep is now the
//    stream or future itself, so the host's object holds what lowering it
//    needs and nothing else does; the tables are no longer written. (A first
//    version held the tables' entries in WeakRefs: V8's young-generation
//    collector keeps a WeakRef's target alive, so every request's streams
//    and futures, with their ends and buffers, were promoted to the old
//    generation, and a shared hello-http-p3 service took 142 µs of CPU a
//    request against 108 µs now, most of the difference garbage collection.)
// 3. The component's handle table and its stream and future tables, for
//    the ends the host holds: a response body the host read, a trailers
//    future it awaited, the future it answers the guest on. Only the guest
//    dropping its own ends took them out. Now they leave when the host is
//    done: it disposed of the stream, read the future, or the guest dropped
//    the readable end of a future the host writes (it read it, or never
//    will).
// 4. The resource tables' `_createdReps` sets: every resource the guest or
//    the host made added its rep, and nothing reads them (the 0.2 rewrite,
//    glue-sync-calls.ts, drops the same write). A shared instance's sets
//    grew by three entries a request, and each add cost more the larger
//    they were.
//
// Without them a shared instance had to be replaced every 500 requests,
// and each new instance brings new classes (the runtime is defined inside
// instantiate()): V8's caches across them go megamorphic and every request
// pays. With them an instance serves on (p3-instances.ts).
//
// Like glue-async-runtime.ts, this is written against jco 1.35.0's text
// and applies completely or not at all.
import { ASYNC_RUNTIME_JCO_VERSION } from './glue-async-runtime.js';
import { applyGluePatches, atInstantiateStart, type GluePatch } from './glue-text-patches.js';

export type AsyncLeaksResult = { readonly glue: string } | { readonly unavailable: string };

const HELPERS = `  // nomad-driver-wasm (glue-async-leaks): ends the host is done with let go.
  function _nomadForget(cstate, end, tableMeta) {
    const idx = end.waitableIdx();
    if (cstate.handles.get(idx) === end) cstate.handles.remove(idx);
    const handle = end.handle();
    if (tableMeta?.table?.get(handle) === end) tableMeta.table.remove(handle);
  }
`;

const PATCHES: readonly GluePatch[] = [
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
    what: "the resource tables' set of created reps",
    find: '    table._createdReps.add(rep);\n',
    replace: '',
    times: 1,
  },
  {
    what: 'entries of the global stream and future tables',
    find: /\b(?:STREAMS|FUTURES)\.insert\((\w+)\)/g,
    replace: '$1',
    times: 'some',
  },
  {
    what: 'lookups in the global stream and future tables',
    find: /\b(?:STREAMS|FUTURES)\.get\((\w+)\)/g,
    replace: '$1',
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
  if (/\b(?:STREAMS|FUTURES)\b(?! = new RepTable\()/.test(glue))
    return 'another use of the global stream or future table';
  if (/_createdReps(?!\s*=\s*new Set\(\);)/.test(glue.replace(/\w+\._createdReps = new Set\(\);/g, '')))
    return 'a use of the created-reps sets';
  if (/_genFutureHostInjectFn\(\{(?![^}]*hostWriteEnd: writeEnd,)/.test(glue))
    return 'a future the host writes that is not paired with its readable end';
  return undefined;
}

export function rewriteAsyncLeaks(glue: string): AsyncLeaksResult {
  const patched = applyGluePatches(glue, ASYNC_RUNTIME_JCO_VERSION, PATCHES);
  if (!('glue' in patched)) return patched;
  const left = leftover(patched.glue);
  if (left !== undefined) return { unavailable: `${left} is left` };
  return { glue: atInstantiateStart(patched.glue, HELPERS) };
}
