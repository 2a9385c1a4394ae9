// SemVer as OPA's `semver.is_valid` and `semver.compare` read it (OPA's
// internal/semver): an optional leading `v`, three numeric parts without
// leading zeros, an optional pre-release and build metadata.
export interface SemVer {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  readonly preRelease: string;
}

const IDENTIFIERS = /^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/;
const INT64_MAX = 2n ** 63n - 1n;

export function semverParse(text: string): SemVer | undefined {
  let version = text.startsWith('v') ? text.slice(1) : text;
  const plus = version.indexOf('+');
  if (plus >= 0) {
    if (!IDENTIFIERS.test(version.slice(plus + 1))) return undefined;
    version = version.slice(0, plus);
  }
  let preRelease = '';
  const dash = version.indexOf('-');
  if (dash >= 0) {
    preRelease = version.slice(dash + 1);
    if (!IDENTIFIERS.test(preRelease) || preRelease.split('.').some((id) => id.length > 1 && /^0\d*$/.test(id)))
      return undefined;
    version = version.slice(0, dash);
  }
  const parts = version.split('.');
  if (parts.length !== 3) return undefined;
  const numbers = parts.map(numeric);
  const [major, minor, patch] = numbers;
  if (major === undefined || minor === undefined || patch === undefined) return undefined;
  return { major, minor, patch, preRelease };
}

function numeric(part: string): bigint | undefined {
  if (!/^(0|[1-9]\d*)$/.test(part)) return undefined;
  const value = BigInt(part);
  return value > INT64_MAX ? undefined : value;
}

/** -1, 0 or 1; undefined when either is not a valid SemVer (OPA raises an error). */
export function semverCompare(a: string, b: string): number | undefined {
  const va = semverParse(a);
  const vb = semverParse(b);
  if (va === undefined || vb === undefined) return undefined;
  for (const key of ['major', 'minor', 'patch'] as const) {
    if (va[key] !== vb[key]) return va[key] > vb[key] ? 1 : -1;
  }
  return comparePreRelease(va.preRelease, vb.preRelease);
}

function comparePreRelease(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  const as = a.split('.');
  const bs = b.split('.');
  for (let i = 0; ; i++) {
    const x = as[i];
    const y = bs[i];
    if (x === undefined) return y === undefined ? 0 : -1;
    if (y === undefined) return 1;
    const xNum = /^\d+$/.test(x);
    const yNum = /^\d+$/.test(y);
    if (xNum !== yNum) return xNum ? -1 : 1;
    if (xNum) {
      const diff = BigInt(x) - BigInt(y);
      if (diff !== 0n) return diff > 0n ? 1 : -1;
    } else if (x !== y) {
      return x > y ? 1 : -1;
    }
  }
}
