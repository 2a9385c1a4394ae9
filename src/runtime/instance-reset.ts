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
//   glue-state-hooks.ts).
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

export interface ResettableInstance {
  readonly exports: Record<string, unknown>;
  /** Back to the state after instantiation; false when that cannot be done exactly. */
  reset(): boolean;
}

interface MemorySnapshot {
  readonly memory: WebAssembly.Memory;
  readonly bytes: Uint8Array;
}
interface TableSnapshot {
  readonly table: WebAssembly.Table;
  readonly elements: unknown[];
}
interface GlobalSnapshot {
  readonly global: WebAssembly.Global;
  readonly value: unknown;
}
interface HandleTableSnapshot {
  readonly table: number[];
  readonly entries: number[];
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
  if (!component.glueStateHooks) return { unavailable: 'its jco glue has no state hooks (see the task host log of the first start)' };
  let observed;
  try {
    observed = await instantiateObserved(component, imports, options);
  } catch (err) {
    if (err instanceof NotResettable) return { unavailable: `a core module's state cannot be saved: ${err.message}` };
    throw err;
  }
  if (!observed.glueState) return { unavailable: 'its jco glue did not hand over its state' };
  return snapshot(observed.exports, observed.cores, observed.glueState);
}

function snapshot(exports: Record<string, unknown>, cores: WebAssembly.Instance[], glueState: GlueState): ResettableInstance {
  const memories: MemorySnapshot[] = [];
  const tables: TableSnapshot[] = [];
  const globals: GlobalSnapshot[] = [];
  for (const core of cores) {
    for (const [name, value] of Object.entries(core.exports)) {
      if (!name.startsWith(RESET_EXPORT_PREFIX)) continue;
      if (value instanceof WebAssembly.Memory) memories.push({ memory: value, bytes: new Uint8Array(value.buffer.slice(0)) });
      else if (value instanceof WebAssembly.Table) tables.push({ table: value, elements: Array.from({ length: value.length }, (_, i) => value.get(i) as unknown) });
      else if (value instanceof WebAssembly.Global) globals.push({ global: value, value: value.value as unknown });
    }
  }
  const handleTables: HandleTableSnapshot[] = glueState
    .handleTables()
    .filter((table): table is number[] => Array.isArray(table))
    .map((table) => ({ table, entries: [...table] }));
  const captureTables: CaptureTableSnapshot[] = glueState.captureTables.map((table) => ({ table, entries: [...table] }));

  return {
    exports,
    reset(): boolean {
      for (const { memory, bytes } of memories) if (memory.buffer.byteLength !== bytes.byteLength) return false;
      for (const { table, elements } of tables) if (table.length !== elements.length) return false;
      for (const { memory, bytes } of memories) new Uint8Array(memory.buffer).set(bytes);
      for (const { table, elements } of tables) {
        for (let i = 0; i < elements.length; i++) if (table.get(i) !== elements[i]) table.set(i, elements[i]);
      }
      for (const { global, value } of globals) global.value = value;
      for (const { table, entries } of handleTables) {
        table.length = entries.length;
        for (let i = 0; i < entries.length; i++) table[i] = entries[i] as number;
      }
      for (const { table, entries } of captureTables) {
        if (table.size === 0 && entries.length === 0) continue;
        table.clear();
        for (const [rep, object] of entries) table.set(rep, object);
      }
      return true;
    },
  };
}
