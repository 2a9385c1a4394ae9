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
