// Narrowing helpers for untrusted JSON (signature files come from anywhere).

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** value[path[0]][path[1]]…, or undefined as soon as a step is not an object. */
export function dig(value: unknown, path: readonly string[]): unknown {
  let at = value;
  for (const key of path) {
    if (!isRecord(at)) return undefined;
    at = at[key];
  }
  return at;
}
