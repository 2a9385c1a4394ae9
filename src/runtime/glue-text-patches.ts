// Text patches to the glue jco generates, for the rewrites written against
// one jco's exact output (glue-async-runtime.ts, glue-async-leaks.ts): each
// says what it changes and how often its text must be found, and a glue
// where one of them does not find its text as often as that gets none of
// them — never half a rewrite.
import { JCO_VERSION } from './jco-info.js';

export interface GluePatch {
  readonly what: string;
  /** Exact text, or a regular expression with the `g` flag (every match is counted and replaced). */
  readonly find: string | RegExp;
  readonly replace: string;
  /** How often `find` must match: exactly that many times, at least once ('some'), or any number ('any'). */
  readonly times: number | 'some' | 'any';
}

export type PatchedGlue = { readonly glue: string } | { readonly unavailable: string };

/** The first line of the instantiate() jco generates with `instantiation: 'async'`. */
export const INSTANTIATE_HEAD =
  'export function instantiate(getCoreModule, imports, instantiateCore = WebAssembly.instantiate) {\n';

/** Code put first in instantiate()'s body. */
export function atInstantiateStart(glue: string, code: string): string {
  return glue.replace(INSTANTIATE_HEAD, INSTANTIATE_HEAD + code);
}

/** Every patch applied to the glue of the jco the patches were `writtenFor`, or why not. */
export function applyGluePatches(glue: string, writtenFor: string, patches: readonly GluePatch[]): PatchedGlue {
  if (JCO_VERSION !== writtenFor) return { unavailable: `written for jco ${writtenFor}, this is jco ${JCO_VERSION}` };
  if (!glue.includes(INSTANTIATE_HEAD))
    return { unavailable: 'no instantiate() in the glue (not jco async instantiation output)' };
  let out = glue;
  for (const patch of patches) {
    if (typeof patch.find !== 'string' && !patch.find.global)
      throw new Error(`glue patch "${patch.what}": a regular expression needs the g flag`);
    const count =
      typeof patch.find === 'string' ? out.split(patch.find).length - 1 : (out.match(patch.find)?.length ?? 0);
    const ok = patch.times === 'any' || (patch.times === 'some' ? count > 0 : count === patch.times);
    if (!ok) {
      const expected = patch.times === 'some' ? 'at least 1' : String(patch.times);
      return { unavailable: `${patch.what}: found ${count} times, expected ${expected}` };
    }
    out =
      typeof patch.find === 'string'
        ? out.replaceAll(patch.find, patch.replace)
        : out.replace(patch.find, patch.replace);
  }
  return { glue: out };
}
