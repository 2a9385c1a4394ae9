// The client's `plugin "wasm" { config { vault { ... } } }` block: where the
// task hosts reach Vault. Nomad gives tasks their token but no Vault address,
// so the node says where Vault is.
//
//   vault {
//     address   = "https://vault.service.consul:8200"   # required to use secrets
//     ca_cert   = "/etc/nomad.d/vault-ca.pem"           # CA of Vault's certificate
//     namespace = "team-a"                              # default; a job's vault { namespace } wins
//     static_secret_refresh = "5m"                      # re-read of secrets without a lease (KV)
//   }
import { attr, object, singleBlock, type Spec } from '../hclspec/spec.js';
import type { ConfigReader } from './config-reader.js';
import { parseDuration } from './duration.js';
import { readPem } from './registry-config.js';
import { withoutUserinfo } from './address-text.js';

export interface VaultPluginConfig {
  readonly address: string;
  readonly caCertPem: string | undefined;
  readonly namespace: string | undefined;
  readonly tlsSkipVerify: boolean;
  readonly staticRefreshMs: number;
  readonly requestTimeoutMs: number;
}

export const DEFAULT_STATIC_REFRESH_MS = 5 * 60_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export const vaultConfigSpec: Spec = singleBlock(
  'vault',
  object({
    address: attr('address', 'string', true),
    ca_cert: attr('ca_cert', 'string'),
    namespace: attr('namespace', 'string'),
    tls_skip_verify: attr('tls_skip_verify', 'bool'),
    static_secret_refresh: attr('static_secret_refresh', 'string'),
    request_timeout: attr('request_timeout', 'string'),
  }),
);

export function decodeVaultConfig(block: ConfigReader | undefined): VaultPluginConfig | undefined {
  if (!block) return undefined;
  const address = block.requiredString('address').replace(/\/+$/, '');
  // Never echoed with credentials: they would reach the agent log and every task's events.
  const shown = withoutUserinfo(address);
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new Error(`config field "vault.address": must be a URL like https://vault.example.com:8200, got "${shown}"`);
  }
  if (url.username || url.password)
    throw new Error(
      `config field "vault.address": must not carry a user or password ("${shown}"); the task authenticates with its own Vault token`,
    );
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`config field "vault.address": must be http:// or https://, got "${shown}"`);
  const caPath = block.optionalString('ca_cert') || undefined;
  return {
    address,
    caCertPem: caPath === undefined ? undefined : readPem(caPath, 'vault.ca_cert'),
    namespace: block.optionalString('namespace') || undefined,
    tlsSkipVerify: block.optionalBool('tls_skip_verify') ?? false,
    staticRefreshMs: duration(block, 'static_secret_refresh', DEFAULT_STATIC_REFRESH_MS),
    requestTimeoutMs: duration(block, 'request_timeout', DEFAULT_REQUEST_TIMEOUT_MS),
  };
}

function duration(block: ConfigReader, field: string, fallback: number): number {
  const text = block.optionalString(field);
  if (text === undefined || text === '') return fallback;
  const ms = parseDuration(text);
  if (ms === undefined)
    throw new Error(`config field "vault.${field}": must be a duration like "30s" or "5m", got "${text}"`);
  return ms;
}
