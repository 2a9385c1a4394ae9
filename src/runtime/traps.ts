// Human words for a guest that trapped, with the likely cause when the
// guest ran into a limit we set.
import type { Grants } from '../ipc/grants.js';

export function describeTrap(err: unknown, grants: Grants): string {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const ceiling =
    grants.memoryMaxMiB === undefined
      ? ''
      : ` (linear memory ceiling: ${grants.memoryMaxMiB} MiB; a guest whose allocation is refused usually traps)`;
  return `component trapped: ${message}${ceiling}`;
}

/**
 * The error a guest returned (an `err` result of an export, which jco
 * throws as a `ComponentError` carrying it as `payload`), as opposed to a
 * trap; undefined for anything else.
 */
export function guestErrorResult(err: unknown): { readonly payload: unknown } | undefined {
  if (!(err instanceof Error) || err.constructor.name !== 'ComponentError') return undefined;
  if (!Object.prototype.hasOwnProperty.call(err, 'payload')) return undefined;
  return { payload: (err as Error & { payload: unknown }).payload };
}
