// How a Vault read becomes config keys (README: "What the component sees"):
//
//   secret "db"  { path = "database/creds/app" }           -> db.username, db.password
//   secret "api" { path = "kv/data/app" field = "api_key" } -> api
//
// KV v2 answers `{ data: {...}, metadata: {...} }`: its inner `data` is the
// secret. Strings are taken as they are; numbers and booleans as their text;
// objects and lists as JSON; null fields are left out.
import { DriverError } from '../errors.js';
import type { SecretSpec } from './secret-spec.js';

export interface SecretContent {
  /** Config key -> value, keys already prefixed with the secret's name. */
  readonly keys: ReadonlyMap<string, string>;
  /** KV v2 version read, when it was a KV v2 secret. */
  readonly kvVersion?: number;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The KV v2 envelope, when `data` has the shape KV v2 answers with. */
function kvV2(
  data: Readonly<Record<string, unknown>>,
): { inner: Record<string, unknown>; version: number | undefined } | undefined {
  const inner = record(data['data']);
  const metadata = record(data['metadata']);
  if (!inner || !metadata || !('version' in metadata)) return undefined;
  return { inner, version: typeof metadata['version'] === 'number' ? metadata['version'] : undefined };
}

function text(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export function secretContent(spec: SecretSpec, data: Readonly<Record<string, unknown>>): SecretContent {
  const kv = kvV2(data);
  if (spec.version !== undefined && !kv) {
    throw new DriverError(
      'VAULT_SECRET_INVALID',
      `secret "${spec.name}": version = ${spec.version} is only for KV v2 secrets, but ${spec.path} did not answer like KV v2`,
    );
  }
  const fields = kv?.inner ?? data;
  const keys = new Map<string, string>();
  if (spec.field !== undefined) {
    const value = text(fields[spec.field]);
    if (value === undefined) {
      throw new DriverError(
        'VAULT_SECRET_INVALID',
        `secret "${spec.name}": ${spec.path} has no field "${spec.field}" (its fields: ${Object.keys(fields).sort().join(', ') || 'none'})`,
      );
    }
    keys.set(spec.name, value);
  } else {
    for (const [field, raw] of Object.entries(fields)) {
      const value = text(raw);
      if (value !== undefined) keys.set(`${spec.name}.${field}`, value);
    }
  }
  return { keys, ...(kv?.version !== undefined ? { kvVersion: kv.version } : {}) };
}

/** The path a read goes to: a pinned KV v2 version is a query parameter. */
export function readPath(spec: SecretSpec): string {
  return spec.version === undefined ? spec.path : `${spec.path}?version=${spec.version}`;
}
