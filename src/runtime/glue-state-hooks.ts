// Lets the host reach the per-instance state jco's glue keeps in
// JavaScript, so that a per-request instance can be put back to its state
// after instantiation (instance-reset.ts) instead of being built again.
//
// jco 1.35's glue keeps, per instance, inside `instantiate()`:
// - `HANDLE_TABLES`: the component's resource handle tables (the handle
//   numbers a guest sees come from them);
// - one `captureTableN` map per resource type: host objects by rep.
// The rewrite, run once when the glue is cached, adds a fourth, optional
// argument to `instantiate(getCoreModule, imports, instantiateCore, onState)`:
// a function called with `{ handleTables(), captureTables }` (a WASI 0.3
// glue, whose fourth argument is an object of hooks, calls its `onState`;
// glue-async-state-hooks.ts adds the async runtime's state to it). Without
// it the glue behaves exactly as before. Anything it does not recognise
// leaves the glue alone (then per-request instances are built afresh).
import type { AsyncGlueState } from './glue-async-state-hooks.js';
import { JCO_VERSION } from './jco-info.js';

export const STATE_HOOKS_JCO_VERSION = '1.35.0';

/** What the glue hands its fourth argument. */
export interface GlueState {
  handleTables(): (number[] | undefined)[];
  readonly captureTables: Map<number, unknown>[];
  /** A WASI 0.3 glue's async runtime (glue-async-state-hooks.ts). */
  readonly asyncState?: () => AsyncGlueState;
}

export type StateHooksResult = { readonly glue: string } | { readonly unavailable: string };

const INSTANTIATE_HEAD =
  'export function instantiate(getCoreModule, imports, instantiateCore = WebAssembly.instantiate) {\n';
const HANDLE_TABLES = /\nconst HANDLE_TABLES= \[\];\n/;
const CAPTURE_TABLE = /\n([ \t]*)const (captureTable\d+)= new Map\(\);\n/g;

/** The object the hooks hand over, as it is written in the glue (glue-async-state-hooks.ts extends it). */
export const STATE_HOOKS_OBJECT = '  const _nomadGlueState = { handleTables: () => HANDLE_TABLES, captureTables: [] };';

const HOOKS = `  // nomad-driver-wasm (glue-state-hooks): the instance's JavaScript-side state, for the host to reset.
${STATE_HOOKS_OBJECT}
  function _nomadCaptureTable(table) {
    _nomadGlueState.captureTables.push(table);
    return table;
  }
  const _nomadOnState = typeof arguments[3] === 'function' ? arguments[3] : arguments[3]?.onState;
  if (typeof _nomadOnState === 'function') _nomadOnState(_nomadGlueState);
`;

export function addStateHooks(glue: string): StateHooksResult {
  if (JCO_VERSION !== STATE_HOOKS_JCO_VERSION)
    return { unavailable: `written for jco ${STATE_HOOKS_JCO_VERSION}, this is jco ${JCO_VERSION}` };
  if (!glue.includes(INSTANTIATE_HEAD))
    return { unavailable: 'no instantiate() in the glue (not jco async instantiation output)' };
  if (!HANDLE_TABLES.test(glue)) return { unavailable: 'no HANDLE_TABLES in the glue' };
  const declared = glue.match(/\bconst captureTable\d+\s*=/g)?.length ?? 0;
  let hooked = 0;
  const out = glue.replace(CAPTURE_TABLE, (_match, indent: string, name: string) => {
    hooked++;
    return `\n${indent}const ${name}= _nomadCaptureTable(new Map());\n`;
  });
  if (hooked !== declared) return { unavailable: `${declared} capture tables, ${hooked} recognised` };
  if (
    /\bcaptureTable\d+\s*=(?!=)/.test(out.replace(/\bconst captureTable\d+= _nomadCaptureTable\(new Map\(\)\);/g, ''))
  ) {
    return { unavailable: 'a capture table is reassigned' };
  }
  return { glue: out.replace(INSTANTIATE_HEAD, INSTANTIATE_HEAD + HOOKS) };
}
