// Lets the host reach the state jco 1.35's async runtime keeps per
// instance, so that a per-request WASI 0.3 instance can be put back to its
// state after instantiation (async-state-reset.ts) instead of being built
// again for every request.
//
// Applied after the state hooks of glue-state-hooks.ts, it adds one
// accessor, `asyncState()`, to the object those hand the host: the
// runtime's tables and registries by name (`AsyncGlueState`). Every name
// must be declared exactly once in the glue, or the glue is left as it is
// (then per-request 0.3 instances are built afresh, as before).
import { STATE_HOOKS_OBJECT } from './glue-state-hooks.js';
import { JCO_VERSION } from './jco-info.js';

export const ASYNC_STATE_HOOKS_JCO_VERSION = '1.35.0';

/** jco's RepTable: a flat array of [value, free-list link] pairs after a [free head, null] pair. */
export interface GlueRepTable {
  data(): unknown[];
  size(): number;
}

/** jco's per-component async state: only what the reset reads of it. */
export interface GlueComponentAsyncState {
  readonly handles: GlueRepTable;
  readonly subtasks: GlueRepTable;
  errored(): boolean;
  hasPendingSchedulerWork(): boolean;
  suspendedTaskMetas(): Iterable<unknown>;
}

/** What `asyncState()` returns: jco's own objects, live. */
export interface AsyncGlueState {
  /** ComponentAsyncState by component index, made on first use (getOrCreateAsyncState). */
  readonly states: Map<number, GlueComponentAsyncState>;
  /** The tasks running, per component index. */
  readonly tasks: Map<number, unknown[]>;
  readonly currentTaskIds: unknown[];
  readonly currentComponentIdxs: unknown[];
  /** The task of each borrow scope open. */
  readonly scopeTasks: Map<unknown, unknown>;
  readonly borrows: unknown[];
  readonly currentTaskMeta: Record<string, unknown>;
  readonly storeTrap: { readonly error: unknown };
  readonly store: { readonly pendingHostOperations: number };
  /** Per stream and future type: the component's table of ends. */
  readonly streamTables: Record<string, { readonly table?: GlueRepTable }>;
  readonly futureTables: Record<string, { readonly table?: GlueRepTable }>;
  /** The may-leave flags of each component instance. */
  readonly instanceFlags: Map<number, WebAssembly.Global>;
  readonly mayBlock: WebAssembly.Global | undefined;
}

export type AsyncStateHooksResult = { readonly glue: string } | { readonly unavailable: string };

/** AsyncGlueState's fields, from the glue's own names. */
const NAMES = {
  states: 'ASYNC_STATE',
  tasks: 'ASYNC_TASKS_BY_COMPONENT_IDX',
  currentTaskIds: 'ASYNC_CURRENT_TASK_IDS',
  currentComponentIdxs: 'ASYNC_CURRENT_COMPONENT_IDXS',
  scopeTasks: 'RESOURCE_SCOPE_TASKS',
  borrows: 'curResourceBorrows',
  currentTaskMeta: 'CURRENT_TASK_META',
  storeTrap: 'STORE_TRAP',
  store: 'STORE_ASYNC_STATE',
  streamTables: 'STREAM_TABLES',
  futureTables: 'FUTURE_TABLES',
  instanceFlags: 'INSTANCE_FLAGS',
  mayBlock: 'CURRENT_TASK_MAY_BLOCK',
} as const satisfies Record<keyof AsyncGlueState, string>;

export function addAsyncStateHooks(glue: string): AsyncStateHooksResult {
  if (JCO_VERSION !== ASYNC_STATE_HOOKS_JCO_VERSION)
    return { unavailable: `written for jco ${ASYNC_STATE_HOOKS_JCO_VERSION}, this is jco ${JCO_VERSION}` };
  if (glue.split(STATE_HOOKS_OBJECT).length !== 2)
    return { unavailable: "the glue state hooks' object is not there once" };
  for (const name of Object.values(NAMES)) {
    const declared = glue.match(new RegExp(`\\b(?:const|let) ${name}\\s*=`, 'g'))?.length ?? 0;
    if (declared !== 1) return { unavailable: `${name} is declared ${declared} times, expected once` };
  }
  // A getter per field: `let` bindings (curResourceBorrows) are reassigned by the glue.
  const fields = Object.entries(NAMES)
    .map(([field, name]) => `get ${field}() { return ${name}; }`)
    .join(', ');
  const withAccessor = STATE_HOOKS_OBJECT.replace(/ };$/, `, asyncState: () => ({ ${fields} }) };`);
  if (withAccessor === STATE_HOOKS_OBJECT) throw new Error('glue-async-state-hooks: the hooks object changed shape');
  return { glue: glue.replace(STATE_HOOKS_OBJECT, withAccessor) };
}
