// Registry settings of the client agent: `registry { host = ... }` blocks in
// the plugin config, and the credential fields shared with a task's `auth {}`.
import { readFileSync } from 'node:fs';
import { attr, blockList, object, withDefault, type Spec } from '../hclspec/spec.js';
import type { ConfigReader } from './config-reader.js';

/** Credentials for one registry: a user and password, or an OAuth2 identity (refresh) token. */
export type RegistryAuth =
  { readonly username: string; readonly password: string } | { readonly identityToken: string };

export interface RegistryConfig {
  /** `host[:port]` exactly as it appears in `oci://` references. */
  readonly host: string;
  readonly auth: RegistryAuth | undefined;
  /** Talk plain HTTP (a registry on a trusted network without TLS). */
  readonly insecure: boolean;
  /** Extra CA (PEM) trusted for this registry's TLS certificate. */
  readonly caCertPem: string | undefined;
}

export const registryAuthFields = {
  username: attr('username', 'string'),
  password: attr('password', 'string'),
  identity_token: attr('identity_token', 'string'),
};

export const registryConfigSpec: Spec = blockList(
  'registry',
  object({
    host: attr('host', 'string', true),
    ...registryAuthFields,
    insecure: withDefault(attr('insecure', 'bool'), 'false'),
    ca_cert: attr('ca_cert', 'string'),
  }),
);

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:]+\](:\d{1,5})?$/;

export function decodeRegistries(blocks: readonly ConfigReader[]): RegistryConfig[] {
  const seen = new Set<string>();
  return blocks.map((block, i) => {
    const host = block.requiredString('host');
    if (!HOST.test(host))
      throw new Error(`config field "registry[${i}].host": must be host[:port] (no scheme, no path), got "${host}"`);
    if (seen.has(host)) throw new Error(`config field "registry[${i}].host": "${host}" is configured twice`);
    seen.add(host);
    const caPath = block.optionalString('ca_cert') || undefined;
    return {
      host,
      auth: decodeRegistryAuth(block, `registry[${i}]`),
      insecure: block.optionalBool('insecure') ?? false,
      caCertPem: caPath === undefined ? undefined : readPem(caPath, `registry[${i}].ca_cert`),
    };
  });
}

/** Reads username/password or identity_token; undefined when neither is set. */
export function decodeRegistryAuth(block: ConfigReader, field: string): RegistryAuth | undefined {
  const identityToken = block.optionalString('identity_token') || undefined;
  const username = block.optionalString('username') || undefined;
  const password = block.optionalString('password') ?? '';
  if (identityToken !== undefined) {
    if (username !== undefined)
      throw new Error(`config field "${field}": set either username/password or identity_token, not both`);
    return { identityToken };
  }
  if (username === undefined) {
    if (password !== '') throw new Error(`config field "${field}.username": is required with a password`);
    return undefined;
  }
  return { username, password };
}

/** Reads a PEM file named in the config; the error names the field and the file. */
export function readPem(path: string, field: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`config field "${field}": cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!text.includes('-----BEGIN ')) throw new Error(`config field "${field}": ${path} is not a PEM file`);
  return text;
}
