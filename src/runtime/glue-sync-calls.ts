// Takes jco 1.35's per-call task bookkeeping out of the host calls of a
// WASI 0.2 component's glue, where every call is synchronous.
//
// jco 1.35 generates glue for the component model's async ABI (WASI 0.3)
// and uses it for synchronous calls too: around every host call the glue
// builds a subtask, a waitable with a promise, a task with two more
// promises and closures, registers them in four tables, and tears it all
// down again, only to hand back the value the host function returned.
// --cpu-prof of a busy wasi:http task host put that bookkeeping, and the
// garbage it leaves, at about half of the task host's CPU.
//
// For a component whose calls are all synchronous (no async lift or lower
// anywhere: checked on the text), the bookkeeping has nothing to track.
// This rewrite, run once when the glue is cached, replaces it:
// - each host-import trampoline calls the host function directly and
//   keeps everything else jco generated: argument lifting, the borrow
//   clean-up, result lowering, and marking the instance trapped when the
//   host throws something that is not a result error;
// - the wrapper jco puts around each trampoline
//   (`_lowerImportBackwardsCompat.bind(...)`) goes; its one check that
//   applies to a synchronous call (the instance may leave: it is not in
//   the middle of a lowering) moves into the trampoline;
// - `table._createdReps.add(rep)` goes: a set written on every resource
//   creation and read nowhere, which grows for as long as an instance lives
//   (about 30 bytes per resource: a memory leak in a shared instance).
// Exports (`handle`, `run`) keep jco's task: one per call into the guest.
//
// The rewrite works on the exact text jco 1.35.0 generates. Anything it
// does not recognise makes it give up on the whole glue (the glue stays as
// jco wrote it, correct but slower), never half-apply.
import { JCO_VERSION } from './jco-info.js';

/** The jco version whose glue this rewrite was written against and tested on. */
export const SYNC_CALLS_JCO_VERSION = '1.35.0';

export type SyncCallsResult = { readonly glue: string; readonly hostCalls: number } | { readonly unavailable: string };

const INSTANTIATE_HEAD =
  'export function instantiate(getCoreModule, imports, instantiateCore = WebAssembly.instantiate) {\n';
const LOWER_IMPORT_BIND = /_lowerImportBackwardsCompat\.bind\(\n\s*null,\n/g;
const CREATED_REPS_ADD = '    table._createdReps.add(rep);\n';

/**
 * Defined at the top of `instantiate`, beside jco's helpers (hoisted). Each
 * rewritten trampoline checks itself that the instance may leave; this
 * hands it to the core instance as it is.
 */
const SYNC_IMPORT_HELPER = `  // nomad-driver-wasm (glue-sync-calls): a synchronous host call, without jco's task bookkeeping.
  function _nomadSyncImport(_thisArg, args) {
    if (args.isAsync || args.isManualAsync || args.funcTypeIsAsync) {
      throw new Error('nomad-driver-wasm: asynchronous import in glue rewritten for synchronous calls: ' + args.importFn.fnName);
    }
    if (args.importFn._nomadMayLeaveIdx !== args.componentIdx) {
      throw new Error('nomad-driver-wasm: trampoline ' + args.importFn.fnName + ' checks another component instance than it is lowered into');
    }
    return args.importFn;
  }
`;

// The parts of one host-import trampoline (jco 1.35.0's CallInterface, sync).
const TRAMPOLINE_HEAD = /^(\n[ \t]*const _trampoline\d+ = function\([^)\n]*\) \{\n)/;
const TASK_PROLOGUE =
  /\n\s*const hostProvided = true;\n\s*let parentTask;\n\s*let task;\n\s*let subtask;\n\s*const createTask = \(\) => \{\n\s*const results = createNewCurrentTask\(\{\n\s*componentIdx: -1,\n\s*isAsync: false,\n\s*entryFnName: '[^'\n]*',\n\s*getCallbackFn: \(\) => null,\n\s*callbackFnName: null,\n\s*errHandling: '[a-z-]+',\n\s*callingWasmExport: false,\n\s*\}\);\n\s*task = results\[0\];\n\s*\};\n\s*taskCreation: \{\n\s*parentTask = getCurrentTask\(\n\s*(\d+),\n\s*_getGlobalCurrentTaskMeta\(\d+\)\?\.taskID,\n\s*\)\?\.task;\n\s*if \(!parentTask\) \{\n\s*createTask\(\);\n\s*break taskCreation;\n\s*\}\n\s*createTask\(\);\n\s*if \(hostProvided\) \{\n\s*subtask = parentTask\.getLatestSubtask\(\);\n\s*if \(!subtask\) \{\n\s*throw new Error\(`[^`\n]*`\);\n\s*\}\n\s*task\.setParentSubtask\(subtask\);\n\s*\}\n\s*\}\n\s*const started = task\.enterSync\(\);\n/;
// The call is one line, or several when jco writes a record argument as an object literal
// (wasi:otel's on-start): up to the first `),` that closes the _withGlobalCurrentTaskMeta block.
const HOST_CALL =
  /_withGlobalCurrentTaskMeta\(\{\n\s*componentIdx: task\.componentIdx\(\),\n\s*taskID: task\.id\(\),\n\s*fn: \(\) => _trackHostOperation\(\(\) => ([^\n]*(?:\n[^\n]*)*?)\),\n\s*\}\)\n\s*;/;
const ERROR_LOG =
  /\n\s*_debugLog\('\[Instruction::CallInterface\] error during sync call', \{\n\s*taskID: task\.id\(\),\n\s*subtaskID: task\.getParentSubtask\(\)\?\.id\(\),\n\s*err,\n\s*\}\);/;
const ERROR_TASK_END = /\n\s*task\.setErrored\(err\);\n\s*task\.reject\(err\);\n\s*task\.exit\(\);/;
/** `task.resolve([X]); task.exit();` then `return X;` or the end of the function. */
const RESOLVE_EXIT = /\n(\s*)task\.resolve\(\[([^\n]*)\]\);\n\s*task\.exit\(\);\n(\s*)(return ([^\n]*);\n|\}$)/;
/** Debug lines whose arguments are built on every call even when nothing is logged. */
const DEBUG_LINES = /\n\s*_debugLog\('[^'\n]*'(?:, \{\n(?:[^{}\n]*\n)*?\s*\})?\);/g;
const LEFTOVER_BOOKKEEPING =
  /\btask\b|\bsubtask\b|parentTask|createNewCurrentTask|_withGlobalCurrentTaskMeta|_trackHostOperation|enterSync/;

class Unrecognised extends Error {}

export function rewriteSyncCalls(glue: string): SyncCallsResult {
  if (JCO_VERSION !== SYNC_CALLS_JCO_VERSION)
    return { unavailable: `written for jco ${SYNC_CALLS_JCO_VERSION}, this is jco ${JCO_VERSION}` };
  if (!glue.includes(INSTANTIATE_HEAD))
    return { unavailable: 'no instantiate() in the glue (not jco async instantiation output)' };
  if (/\bisAsync: true\b|\bfuncTypeIsAsync: true\b|\bisManualAsync: true\b/.test(glue)) {
    return { unavailable: 'the component has asynchronous lifts or lowers' };
  }
  try {
    const { text, count } = rewriteTrampolines(glue);
    const binds = text.match(LOWER_IMPORT_BIND)?.length ?? 0;
    if (binds !== 2 * count)
      throw new Unrecognised(
        `${count} host-import trampolines but ${binds} lowering wrappers (expected two per trampoline)`,
      );
    let out = text.replace(LOWER_IMPORT_BIND, (match) =>
      match.replace('_lowerImportBackwardsCompat.bind', '_nomadSyncImport'),
    );
    out = out.replace(INSTANTIATE_HEAD, INSTANTIATE_HEAD + SYNC_IMPORT_HELPER);
    if (!/\n\s*function _checkMayLeave\(componentIdx\) \{/.test(out))
      throw new Unrecognised('no _checkMayLeave in the glue');
    out = out.split(CREATED_REPS_ADD).join('');
    if (out.includes('_createdReps.add')) throw new Unrecognised('_createdReps is written somewhere unexpected');
    if (/_createdReps(?!\s*=\s*new Set\(\);)/.test(out.replace(/\w+\._createdReps = new Set\(\);/g, ''))) {
      throw new Unrecognised('_createdReps is read somewhere');
    }
    return { glue: out, hostCalls: count };
  } catch (err) {
    if (err instanceof Unrecognised) return { unavailable: err.message };
    throw err;
  }
}

/** Rewrites every `const _trampolineN = function(...) {...}` (host imports). */
function rewriteTrampolines(glue: string): { text: string; count: number } {
  const start = /\n([ \t]*)const (_trampoline\d+) = function\(/g;
  let out = '';
  let last = 0;
  let count = 0;
  for (let match = start.exec(glue); match; match = start.exec(glue)) {
    const name = match[2] as string;
    const endMarker = `\n${match[1] ?? ''}${name}.fnName = `;
    const end = glue.indexOf(endMarker, match.index);
    if (end < 0) throw new Unrecognised(`${name} has no fnName line`);
    out += glue.slice(last, match.index) + rewriteTrampoline(name, glue.slice(match.index, end));
    last = end;
    start.lastIndex = end;
    count++;
  }
  if (count === 0) return { text: glue, count };
  return { text: out + glue.slice(last), count };
}

function rewriteTrampoline(name: string, body: string): string {
  // The component instance whose task the prologue looked up: the one that must be allowed to leave.
  const componentIdx = TASK_PROLOGUE.exec(body)?.[1];
  let text = replaceOnce(name, body, TASK_PROLOGUE, '\n', 'task prologue');
  if (!TRAMPOLINE_HEAD.test(text)) throw new Unrecognised(`${name} does not start as a trampoline`);
  text = text.replace(TRAMPOLINE_HEAD, (head: string) => `${head}    _checkMayLeave(${componentIdx});\n`);
  text = replaceOnce(name, text, HOST_CALL, (_m, expr: string) => `${expr};`, 'host call');
  // The error path: keep marking the instance trapped, drop the task.
  text = text.replace(ERROR_LOG, '').replace(ERROR_TASK_END, '');
  text = replaceOnce(
    name,
    text,
    RESOLVE_EXIT,
    (_m, indent: string, _value: string, tailIndent: string, tail: string, returned: string | undefined) => {
      if (returned !== undefined && returned !== _value)
        throw new Unrecognised(`${name} resolves ${_value} but returns ${returned}`);
      return `\n${tailIndent}${tail}`;
    },
    'resolve/exit',
  );
  text = text.replace(DEBUG_LINES, '');
  const leftover = LEFTOVER_BOOKKEEPING.exec(text);
  if (leftover) throw new Unrecognised(`${name} still refers to ${leftover[0]} after the rewrite`);
  return `${text}\n  ${name}._nomadMayLeaveIdx = ${componentIdx};`;
}

function replaceOnce(
  name: string,
  text: string,
  pattern: RegExp,
  replacement: string | ((...groups: string[]) => string),
  what: string,
): string {
  const matches = text.match(new RegExp(pattern.source, 'g'));
  if (matches?.length !== 1)
    throw new Unrecognised(`${name}: ${matches?.length ?? 0} matches for the ${what} (expected 1)`);
  return typeof replacement === 'string' ? text.replace(pattern, replacement) : text.replace(pattern, replacement);
}
