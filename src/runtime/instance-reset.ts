// A component instance that can be put back, after each request, into the
// state it had right after instantiation: what a fresh instance per request
// gives, without building one (jco's instantiate() rebuilds all of its
// binding code every time; see README "Per-request instances").
//
// The state of an instance is:
// - per core instance: its linear memories, mutable globals and tables
//   (exported under reserved names by reset-exports.ts);
// - in jco's glue: the resource handle tables (the handle numbers a guest
//   is given) and the host objects held per resource type (reached through
//   glue-state-hooks.ts);
// - for a WASI 0.3 component, jco's async runtime: its tasks, waitables,
//   streams and futures (async-state-reset.ts, which resets an instance
//   only at rest: busy() says when it is not).
// A snapshot of all of it is taken once, after instantiation (start
// functions and the component's initialisation have run). reset() writes it
// back. What cannot be written back exactly makes reset() refuse, and the
// caller replaces the instance with a fresh one: a memory or table that grew
// (WebAssembly cannot shrink them), or a trap (jco marks the instance as
// unusable). Passive data and element segments dropped during a request
// stay dropped (no WebAssembly API restores them); compilers emit those
// drops only in start functions, which ran before the snapshot.
import type { ImportObject } from '../wasi/host.js';
import type { PreparedComponent } from './component-cache.js';
import type { GlueState } from './glue-state-hooks.js';
import { instantiateObserved, NotResettable, type InstantiateOptions } from './instantiate.js';
import { RESET_EXPORT_PREFIX } from './reset-exports.js';
import { snapshotAsyncState, type AsyncStateReset } from './async-state-reset.js';

export interface ResettableInstance {
  readonly exports: Record<string, unknown>;
  /** Why a reset now would refuse while the guest may still finish (a WASI 0.3 task ending), or undefined. */
  busy(): string | undefined;
  /** Back to the state after instantiation; false when that cannot be done exactly. */
  reset(): boolean;
}

interface MemorySnapshot {
  readonly memory: WebAssembly.Memory;
  readonly byteLength: number;
  /** The memory as runs: bytes to copy back, or a range that was all zeros (filled, which is faster than copying). */
  readonly runs: MemoryRun[];
}
type MemoryRun =
  { readonly start: number; readonly bytes: Uint8Array } | { readonly start: number; readonly zeros: number };

/** Granularity of the zero/non-zero runs. */
const RUN_PAGE = 4096;
interface TableSnapshot {
  readonly table: WebAssembly.Table;
  readonly elements: unknown[];
}
interface GlobalSnapshot {
  readonly global: WebAssembly.Global;
  readonly value: unknown;
}
/** jco's resource handle table; glue left as jco wrote it also records every rep it made in `_createdReps` (the rewrites drop that write). */
type HandleTable = number[] & { _createdReps?: Set<number> };
interface HandleTableSnapshot {
  readonly table: HandleTable;
  readonly entries: number[];
  readonly createdReps: number[] | undefined;
}
interface CaptureTableSnapshot {
  readonly table: Map<number, unknown>;
  readonly entries: [number, unknown][];
}

/** Instantiates for resetting; the reason it cannot be done otherwise. */
export async function instantiateResettable(
  component: PreparedComponent,
  imports: ImportObject,
  options: InstantiateOptions,
): Promise<ResettableInstance | { readonly unavailable: string }> {
  if (!component.glueStateHooks)
    return { unavailable: 'its jco glue has no state hooks (the GLUE_REWRITE_UNAVAILABLE event at start says why)' };
  let observed;
  try {
    observed = await instantiateObserved(component, imports, options);
  } catch (err) {
    if (err instanceof NotResettable) return { unavailable: `a core module's state cannot be saved: ${err.message}` };
    throw err;
  }
  if (!observed.glueState) return { unavailable: 'its jco glue did not hand over its state' };
  const asyncState = observed.glueState.asyncState && snapshotAsyncState(observed.glueState.asyncState());
  if (asyncState && 'unavailable' in asyncState) return asyncState;
  return snapshot(observed.exports, observed.cores, observed.glueState, observed.writesTables, asyncState);
}

function snapshot(
  exports: Record<string, unknown>,
  cores: WebAssembly.Instance[],
  glueState: GlueState,
  writesTables: boolean,
  asyncState: AsyncStateReset | undefined,
): ResettableInstance {
  const memories: MemorySnapshot[] = [];
  const tables: TableSnapshot[] = [];
  const globals: GlobalSnapshot[] = [];
  for (const core of cores) {
    for (const [name, value] of Object.entries(core.exports)) {
      if (!name.startsWith(RESET_EXPORT_PREFIX)) continue;
      if (value instanceof WebAssembly.Memory)
        memories.push({ memory: value, byteLength: value.buffer.byteLength, runs: memoryRuns(value) });
      else if (value instanceof WebAssembly.Table)
        tables.push({
          table: value,
          elements: Array.from({ length: value.length }, (_, i) => value.get(i) as unknown),
        });
      else if (value instanceof WebAssembly.Global) globals.push({ global: value, value: value.value as unknown });
    }
  }
  const handleTables: HandleTableSnapshot[] = glueState
    .handleTables()
    .filter((table): table is HandleTable => Array.isArray(table))
    .map((table) => ({ table, entries: [...table], createdReps: table._createdReps && [...table._createdReps] }));
  const captureTables: CaptureTableSnapshot[] = glueState.captureTables.map((table) => ({
    table,
    entries: [...table],
  }));

  return {
    exports,
    busy: () => asyncState?.busy(),
    reset(): boolean {
      if (asyncState?.busy() !== undefined) return false;
      for (const { memory, byteLength } of memories) if (memory.buffer.byteLength !== byteLength) return false;
      for (const { table, elements } of tables) if (table.length !== elements.length) return false;
      for (const { memory, runs } of memories) {
        const view = new Uint8Array(memory.buffer);
        for (const run of runs) {
          if ('bytes' in run) view.set(run.bytes, run.start);
          else view.fill(0, run.start, run.start + run.zeros);
        }
      }
      // Tables no code can change keep their elements: only a grown length is checked above.
      if (writesTables) {
        for (const { table, elements } of tables) {
          for (let i = 0; i < elements.length; i++) if (table.get(i) !== elements[i]) table.set(i, elements[i]);
        }
      }
      for (const { global, value } of globals) global.value = value;
      for (const { table, entries, createdReps } of handleTables) {
        table.length = entries.length;
        for (let i = 0; i < entries.length; i++) table[i] = entries[i] as number;
        if (createdReps && table._createdReps) table._createdReps = new Set(createdReps);
      }
      for (const { table, entries } of captureTables) {
        if (table.size === 0 && entries.length === 0) continue;
        table.clear();
        for (const [rep, object] of entries) table.set(rep, object);
      }
      asyncState?.reset();
      return true;
    },
  };
}

/** A copy of a memory as runs of all-zero and other pages. */
function memoryRuns(memory: WebAssembly.Memory): MemoryRun[] {
  const bytes = new Uint8Array(memory.buffer);
  const words = new Uint32Array(memory.buffer);
  const runs: MemoryRun[] = [];
  let runStart = 0;
  let runZero: boolean | undefined;
  const close = (end: number): void => {
    if (runZero === undefined || end === runStart) return;
    runs.push(
      runZero ? { start: runStart, zeros: end - runStart } : { start: runStart, bytes: bytes.slice(runStart, end) },
    );
  };
  for (let page = 0; page < bytes.length; page += RUN_PAGE) {
    let zero = true;
    for (let i = page >> 2, end = (page + RUN_PAGE) >> 2; i < end; i++) {
      if (words[i] !== 0) {
        zero = false;
        break;
      }
    }
    if (zero !== runZero) {
      close(page);
      runStart = page;
      runZero = zero;
    }
  }
  close(bytes.length);
  return runs;
}
