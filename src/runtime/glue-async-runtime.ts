// Three fixes to the async runtime jco 1.35 puts in the glue of every WASI
// 0.3 component, applied once when the glue is cached. Without them a 0.3
// service on jco's runtime as it is waits on timers, hangs on a trap in the
// middle of a response, and slows down with every request it has served:
//
// 1. Wake-ups instead of timer polling. jco's scheduler resumes a guest
//    task that waits for an event (a body write the host has now read) from
//    a loop that polls every 10 ms, and host-side reads and writes that block
//    poll every 1 ms. Each waiting step of a request cost up to 10 ms. Here
//    every event a waitable receives wakes the loop on the next turn (its
//    timer stays as a fallback), and a blocked host read or write waits for
//    the event of its own end: the only way that end gets an event is
//    Waitable#setPendingEvent, which now resolves its waiters. (A first
//    version woke every blocked read and write on every event: with 10
//    requests in flight each request re-armed ~30 timers.)
//    The loop resumes one ready task at a time (jco's rule: a resumed slice
//    runs before the next is resumed) and then waited for a timer (jco) or
//    the next turn of the event loop: one task a turn. Every request needs
//    two or more resumes, and a turn can bring many requests, so under
//    clients that do not wait for their answers (they hang up, time out) a
//    shared instance fell behind without bound: its waiting tasks, and the
//    guest's state for each, piled up until the guest ran out of memory and
//    trapped. The next task is now resumed once the slice's microtasks have
//    run, up to 64 in a turn.
// 2. A trap hook. A guest that traps in a callback (after handle() has
//    returned its response, while it writes the body) is caught and only
//    logged by jco's driver loop: the host, reading the body, would wait
//    forever. The fourth `instantiate()` argument, `{ onTrap(err) }`, is now
//    told of every trap and every failed callback.
// 3. The task registry. jco removes a finished task from its per-component
//    list only when it is the last one; with concurrent requests they finish
//    out of order, the list grows by every request, and each host call scans
//    it. A finished task is now removed wherever it is, and its stacks of
//    current task ids (which grew by one per request) lose an entry. Each
//    lookup of a task by id scanned the list (with 200 requests in flight,
//    ~360 tasks, several lookups a host call); a map from id to task answers
//    it now. The id stacks are written and read nowhere but for their length
//    (async-state-reset.ts: a task is current): a task finishing out of order
//    pops an entry rather than searching the stack for its id, checked by
//    counting the names in jco's glue. The scheduler's scan of its waiting
//    tasks no longer copies the list first.
//
// Like the 0.2 rewrites (glue-sync-calls.ts), this is written against jco
// 1.35.0's exact text and applies completely or not at all.
import type { GlueState } from './glue-state-hooks.js';
import { applyGluePatches, atInstantiateStart, type GluePatch } from './glue-text-patches.js';

export const ASYNC_RUNTIME_JCO_VERSION = '1.35.0';

/** The fourth argument of a rewritten async glue's `instantiate()`. */
export interface AsyncGlueHooks {
  /** The instance trapped (or a callback failed): it must not be used again. */
  onTrap?(err: unknown): void;
  /** Given the instance's JavaScript-side state, for resetting it (glue-state-hooks.ts). */
  onState?(state: GlueState): void;
}

export type AsyncRuntimeResult = { readonly glue: string } | { readonly unavailable: string };

const HOOKS = `  // nomad-driver-wasm (glue-async-runtime): wake-ups for waiting tasks and host reads, and a trap hook.
  const _nomadHooks = typeof arguments[3] === 'object' && arguments[3] !== null ? arguments[3] : {};
  let _nomadWaiters = [];
  let _nomadWakeQueued = false;
  function _nomadWake() {
    if (_nomadWakeQueued) return;
    _nomadWakeQueued = true;
    setImmediate(() => {
      _nomadWakeQueued = false;
      const waiters = _nomadWaiters;
      _nomadWaiters = [];
      for (const wake of waiters) wake();
    });
  }
  // After resuming a task, the loop resumes the next ready one as soon as the resumed slice's
  // microtasks have run (a nextTick callback runs once the microtask queue is empty), up to
  // _NOMAD_SLICES_PER_TURN in a row; then the event loop gets its turn (I/O, timers) first.
  const _NOMAD_SLICES_PER_TURN = 64;
  let _nomadSlices = 0;
  function _nomadAfterSlice() {
    if (++_nomadSlices < _NOMAD_SLICES_PER_TURN) return new Promise((resolve) => process.nextTick(resolve));
    _nomadSlices = 0;
    return new Promise((resolve) => setImmediate(resolve));
  }
  function _nomadNextWake(fallbackMs) {
    _nomadSlices = 0;
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, fallbackMs);
      _nomadWaiters.push(() => { clearTimeout(timer); resolve(); });
    });
  }
  // A blocked host read or write: resolved once the waitable of its end has an event.
  function _nomadOnEvent(waitable, resolve) {
    if (waitable.hasPendingEvent()) resolve();
    else (waitable._nomadEventWaiters ??= []).push(resolve);
  }
  // Task id -> jco's task meta, beside its per-component lists: a lookup by id without a scan.
  const _nomadTaskMetas = new Map();
  function _nomadTrapped(err) {
    try { _nomadHooks.onTrap?.(err); } catch { /* the host's hook must not break the glue */ }
  }
`;

const PATCHES: readonly GluePatch[] = [
  // The id stacks must stay write-only (declared, pushed, popped): the registry fix below pops
  // them without looking for the id. Found as often as that, or a reader was added: no rewrite.
  { what: 'the current task id stack', find: /ASYNC_CURRENT_TASK_IDS\b/g, replace: 'ASYNC_CURRENT_TASK_IDS', times: 3 },
  {
    what: 'the current component index stack (a reader in a comment)',
    find: /ASYNC_CURRENT_COMPONENT_IDXS\b/g,
    replace: 'ASYNC_CURRENT_COMPONENT_IDXS',
    times: 4,
  },
  {
    what: 'the task index, on creation',
    find: `    const newTaskMeta = { id: newTaskID, componentIdx, task: newTask };
`,
    replace: `    const newTaskMeta = { id: newTaskID, componentIdx, task: newTask };
    _nomadTaskMetas.set(newTaskID, newTaskMeta);
`,
    times: 1,
  },
  {
    what: 'the task index, on finishing in order',
    find: `    const taskMeta = tasks.pop();
    return taskMeta.task;`,
    replace: `    const taskMeta = tasks.pop();
    _nomadTaskMetas.delete(taskMeta.id);
    return taskMeta.task;`,
    times: 1,
  },
  {
    what: 'a task looked up by id',
    find: `    if (taskID) {
      return taskMetas.find(meta => meta.task.id() === taskID);
    }`,
    replace: `    if (taskID) {
      const meta = _nomadTaskMetas.get(taskID);
      return meta !== undefined && meta.componentIdx === componentIdx ? meta : undefined;
    }`,
    times: 1,
  },
  {
    what: "the scheduler's scan of waiting tasks",
    find: `        const resumableTasks = this.#suspendedTaskIDs.filter(t => t !== null);
        for (const taskID of resumableTasks) {`,
    replace: `        for (const taskID of this.#suspendedTaskIDs) {
          if (taskID === null) { continue; }`,
    times: 1,
  },
  {
    what: "the scheduler's idle test",
    find: `        const idle = this.#suspendedTaskIDs.filter(t => t !== null).length > 0;`,
    replace: `        const idle = this.#suspendedTasksByTaskID.size > 0;`,
    times: 1,
  },
  {
    what: "Waitable's fields",
    find: `  class Waitable {
    #componentIdx;
    
    #pendingEventFn = null;
`,
    replace: `  class Waitable {
    #componentIdx;
    
    #pendingEventFn = null;
    _nomadEventWaiters = undefined;
`,
    times: 1,
  },
  {
    what: 'Waitable#setPendingEvent',
    find: `          inSet: this.#waitableSet,
        });
        this.#pendingEventFn = fn;
      }`,
    replace: `          inSet: this.#waitableSet,
        });
        this.#pendingEventFn = fn;
        const waiters = this._nomadEventWaiters;
        if (waiters !== undefined) {
          this._nomadEventWaiters = undefined;
          for (const resolve of waiters) resolve();
        }
        _nomadWake();
      }`,
    times: 1,
  },
  {
    what: "the tick loop's first delay",
    find: `        setTimeout(async () => {
          let result = this.tick();`,
    replace: `        setImmediate(async () => {
          let result = this.tick();`,
    times: 1,
  },
  {
    what: "the tick loop's idle poll",
    find: `            const delay = result === ComponentAsyncState.TickResult.RESUMED ? 0 : 10;
            await new Promise((resolve) => setTimeout(resolve, delay));`,
    replace: `            if (result === ComponentAsyncState.TickResult.RESUMED) await _nomadAfterSlice();
            else await _nomadNextWake(10);`,
    times: 1,
  },
  {
    what: "the tick loop's end",
    find: `          this.#tickLoop = null;
        }, 10);`,
    replace: `          this.#tickLoop = null;
        });`,
    times: 1,
  },
  {
    what: 'blocked host reads and writes',
    find: /let waitInterval = setInterval\((?:async )?\(\) => \{\n\s*if \(!this\.hasPendingEvent\(\)\) \{ return; \}\n\s*clearInterval\(waitInterval\);\n\s*resolve\(\);\n\s*\}\);/g,
    replace: '_nomadOnEvent(this.getWaitable(), resolve);',
    times: 'some',
  },
  {
    what: "the driver loop's error handler",
    find: `    const handleError = (err) => {
`,
    replace: `    const handleError = (err) => {
      _nomadTrapped(err);
`,
    times: 1,
  },
  {
    what: 'ComponentAsyncState#markTrapped',
    find: `        err = _normalizeCoreTrap(err);
        this.#trapped = true;
`,
    replace: `        err = _normalizeCoreTrap(err);
        this.#trapped = true;
        _nomadTrapped(err);
`,
    times: 1,
  },
  {
    what: 'clearCurrentTask',
    find: `      if (last.id !== taskID) {
        // throw new Error('current task does not match expected task ID');
        return;
      }`,
    replace: `      if (last.id !== taskID) {
        // Finished out of order (concurrent tasks): removed where it is; the id stacks, read only
        // for their length, lose an entry as when a task finishes in order.
        const at = tasks.indexOf(_nomadTaskMetas.get(taskID));
        if (at >= 0) {
          tasks.splice(at, 1);
          _nomadTaskMetas.delete(taskID);
          ASYNC_CURRENT_TASK_IDS.pop();
          ASYNC_CURRENT_COMPONENT_IDXS.pop();
        }
        return;
      }`,
    times: 1,
  },
];

export function rewriteAsyncRuntime(glue: string): AsyncRuntimeResult {
  const patched = applyGluePatches(glue, ASYNC_RUNTIME_JCO_VERSION, PATCHES);
  if (!('glue' in patched)) return patched;
  const out = patched.glue;
  // Every poll of that kind must be gone, or a blocked read still waits on its timer.
  if (out.includes('let waitInterval = setInterval(')) return { unavailable: 'a host poll of an unknown shape' };
  return { glue: atInstantiateStart(out, HOOKS) };
}
