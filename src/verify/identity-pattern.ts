// Glob matching for certificate identities: `*` stands for any run of
// characters (slashes included, so "https://github.com/acme/*" covers every
// workflow path of the org); everything else is literal. No regexes from
// config: an operator's "." must not match any character.

export function globMatches(pattern: string, value: string): boolean {
  const parts = pattern.split('*');
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  if (parts.length === 1) return pattern === value;
  if (!value.startsWith(first) || value.length < first.length + last.length || !value.endsWith(last)) return false;
  // Greedy left-to-right search for the middle literals is exact for `*`-only globs.
  let at = first.length;
  const end = value.length - last.length;
  for (const middle of parts.slice(1, -1)) {
    const found = value.indexOf(middle, at);
    if (found < 0 || found + middle.length > end) return false;
    at = found + middle.length;
  }
  return true;
}

/**
 * Whether every value `narrow` matches is also matched by `broad`. Sound
 * because each `*` of `narrow` can only be consumed by a `*` of `broad`
 * (a literal of `broad` never equals `*`).
 */
export function globNarrows(narrow: string, broad: string): boolean {
  return globMatches(broad, narrow);
}
