// Puts the state of jco's async runtime (a WASI 0.3 instance's tasks,
// waitables, streams and futures: glue-async-state-hooks.ts) back to what
// it was right after instantiation, for a per-request instance
// (instance-reset.ts does the core modules and resource tables).
//
// It is not a general undo. It restores exactly only an instance at rest:
// no task running or suspended, no borrow open, no host operation pending,
// no trap, and every stream and future end the request made dropped. Then
// what is left of the request is the numbering of the tables (which slots
// are free, in what order): that is written back, and the per-component
// state objects are let go, to be made again on first use as after
// instantiation. An instance not at rest (a guest that kept a stream end,
// or is still finishing its task) is not reset: the caller waits for rest
// or replaces it.
import type { AsyncGlueState, GlueComponentAsyncState, GlueRepTable } from './glue-async-state-hooks.js';

export interface AsyncStateReset {
  /** Why the instance is not at rest, or undefined when it is. */
  busy(): string | undefined;
  /** Back to the state after instantiation; call only when busy() is undefined. */
  reset(): void;
}

interface TableSnapshot {
  readonly table: GlueRepTable;
  readonly data: unknown[];
  readonly size: number;
}

/** Taken once, after instantiation; or why that state is not one this can return to. */
export function snapshotAsyncState(state: AsyncGlueState): AsyncStateReset | { readonly unavailable: string } {
  // Instantiation makes no per-component state in jco 1.35: every call makes it on first use.
  if (state.states.size > 0) return { unavailable: 'jco made async state during instantiation' };
  const tables: TableSnapshot[] = [...Object.values(state.streamTables), ...Object.values(state.futureTables)].flatMap(
    ({ table }) => (table ? [{ table, data: [...table.data()], size: table.size() }] : []),
  );
  // The scope of instantiation's own task (jco's `<initialize>`) stays open for the life of the instance.
  const scopes = new Map(state.scopeTasks);
  const flags = [...state.instanceFlags.values(), ...(state.mayBlock ? [state.mayBlock] : [])].map((global) => ({
    global,
    value: global.value as unknown,
  }));
  return {
    busy: () => busyReason(state, scopes) ?? tables.map(changedEntries).find((reason) => reason !== undefined),
    reset() {
      for (const { table, data } of tables) {
        const live = table.data();
        live.length = data.length;
        for (let i = 0; i < data.length; i++) live[i] = data[i];
      }
      for (const { global, value } of flags) global.value = value;
      state.states.clear();
    },
  };
}

/** What keeps the runtime from being at rest. */
function busyReason(state: AsyncGlueState, scopes: ReadonlyMap<unknown, unknown>): string | undefined {
  if (state.storeTrap.error !== null) return 'it trapped';
  if (state.store.pendingHostOperations !== 0) return 'a host operation is pending';
  for (const tasks of state.tasks.values()) if (tasks.length > 0) return 'a task is running';
  if (state.currentTaskIds.length > 0 || state.currentComponentIdxs.length > 0) return 'a task is current';
  if (Object.values(state.currentTaskMeta).some((meta) => meta !== null && meta !== undefined))
    return 'a task is current';
  if (state.borrows.length > 0) return 'a borrow is open';
  if (state.scopeTasks.size !== scopes.size) return "a task's borrow scope is open";
  for (const [id, task] of scopes) if (state.scopeTasks.get(id) !== task) return "a task's borrow scope is open";
  for (const component of state.states.values()) {
    const reason = componentBusy(component);
    if (reason) return reason;
  }
  return undefined;
}

function componentBusy(component: GlueComponentAsyncState): string | undefined {
  if (component.errored()) return 'a component errored';
  if (component.hasPendingSchedulerWork()) return 'the scheduler has work';
  for (const _ of component.suspendedTaskMetas()) return 'a task is suspended';
  if (component.handles.size() > 0) return 'the guest holds a waitable, stream or future';
  if (component.subtasks.size() > 0) return 'a subtask is live';
  return undefined;
}

/** A stream or future end made since the snapshot and not dropped, or one of the snapshot's gone. */
function changedEntries({ table, data, size }: TableSnapshot): string | undefined {
  if (table.size() !== size) return 'a stream or future end is live';
  const live = table.data();
  for (let i = 2; i < data.length; i += 2) {
    if (!isFree(data[i]) && live[i] !== data[i]) return 'a stream or future end was dropped';
  }
  return undefined;
}

/** jco's freed slot: its RepTable.FREE symbol. */
function isFree(value: unknown): boolean {
  return typeof value === 'symbol';
}
