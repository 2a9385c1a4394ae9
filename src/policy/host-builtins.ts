// The OPA builtins this driver provides to compiled policies, beyond the 98
// OPA compiles into the Wasm module itself. Each follows OPA's own
// implementation (v1/topdown/*.go of OPA v1.22.4) and is checked against
// `opa eval` on the same arguments (test/policy/host-builtins.test.ts).
// Like OPA outside strict mode, a call with arguments of the wrong type, or
// one OPA would answer with an error, is undefined (returns undefined).
// policy/capabilities.json lists these plus the native ones, for
// `opa build --capabilities`.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { HostBuiltin } from './opa-wasm-module.js';
import { goSprintf } from './go-sprintf.js';
import { semverCompare, semverParse } from './semver.js';
import { parseBytes } from './units.js';

const isString = (v: unknown): v is string => typeof v === 'string';

/** A string, or an array of strings (OPA also takes sets, which reach a Wasm host as arrays). */
function stringsOf(value: unknown): string[] | undefined {
  if (isString(value)) return [value];
  if (Array.isArray(value) && value.every(isString)) return value;
  return undefined;
}

function anyAffix(search: unknown, base: unknown, match: (s: string, affix: string) => boolean): boolean | undefined {
  const strings = stringsOf(search);
  const affixes = stringsOf(base);
  if (strings === undefined || affixes === undefined) return undefined;
  return strings.some((s) => affixes.some((affix) => match(s, affix)));
}

/** RFC 3339 as Go's time.Parse(time.RFC3339, …) reads it: seconds required, fraction and offset optional as Go allows. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

function parseRfc3339Ns(text: unknown): bigint | undefined {
  if (!isString(text)) return undefined;
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  const fields = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const [year, month, day, hour, minute, second] = fields;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return undefined;
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    offsetMinutes = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second) - offsetMinutes * 60_000;
  const nanos = frac === '' ? 0n : BigInt(frac.slice(1).padEnd(9, '0'));
  // Nanoseconds since the epoch exceed 2^53: exact as a bigint, as OPA's own numbers are.
  return BigInt(ms) * 1_000_000n + nanos;
}

function cidrIsValid(text: unknown): boolean {
  // OPA: net.ParseCIDR; invalid input and non-strings are false, never undefined.
  if (!isString(text)) return false;
  const slash = text.indexOf('/');
  if (slash < 0) return false;
  const address = text.slice(0, slash);
  const bits = text.slice(slash + 1);
  const family = isIP(address);
  if (family === 0 || !/^\d{1,3}$/.test(bits)) return false;
  if (family === 4 && !/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

export const HOST_BUILTINS: Readonly<Record<string, HostBuiltin>> = {
  sprintf: (format, values) => (isString(format) && Array.isArray(values) ? goSprintf(format, values) : undefined),
  'time.now_ns': () => BigInt(Date.now()) * 1_000_000n,
  'time.parse_rfc3339_ns': parseRfc3339Ns,
  'semver.is_valid': (v) => isString(v) && semverParse(v) !== undefined,
  'semver.compare': (a, b) => (isString(a) && isString(b) ? semverCompare(a, b) : undefined),
  'strings.any_prefix_match': (search, base) => anyAffix(search, base, (s, p) => s.startsWith(p)),
  'strings.any_suffix_match': (search, base) => anyAffix(search, base, (s, p) => s.endsWith(p)),
  'strings.count': (search, sub) => {
    if (!isString(search) || !isString(sub)) return undefined;
    // Go's strings.Count: an empty substring counts the code points plus one.
    if (sub === '') return [...search].length + 1;
    return search.split(sub).length - 1;
  },
  'units.parse_bytes': (text) => (isString(text) ? parseBytes(text) : undefined),
  'net.cidr_is_valid': cidrIsValid,
  'crypto.sha256': (text) => (isString(text) ? createHash('sha256').update(text, 'utf8').digest('hex') : undefined),
  'hex.encode': (text) => (isString(text) ? Buffer.from(text, 'utf8').toString('hex') : undefined),
  'hex.decode': (text) => {
    if (!isString(text) || !/^([0-9a-fA-F]{2})*$/.test(text)) return undefined;
    const decoded = Buffer.from(text, 'hex');
    // OPA returns a Go string of the bytes; JSON cannot carry invalid UTF-8 either way.
    return decoded.toString('utf8');
  },
};

/** The names policies may call through the host, for capabilities.json and the docs. */
export const HOST_BUILTIN_NAMES: readonly string[] = Object.keys(HOST_BUILTINS).sort();
