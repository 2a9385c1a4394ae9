// What a task asks of Vault, as the plugin decided it from the job and the
// node's plugin config, and as it travels to the task host inside the
// launch spec (over a pipe: never argv or disk). No secret value and no
// token value is stored here except `token` when Nomad gave the task its
// token only in the environment (`vault { disable_file = true }`).

import type { SecretSpec } from '../config/secret-config.js';

export type { SecretSpec };

/** How the task host reaches Vault (plugin config, the task's namespace). */
export interface VaultConnection {
  /** `http(s)://host:port` of the Vault API. */
  readonly address: string;
  /** PEM of the CA(s) that signed Vault's certificate, when not a public one. */
  readonly caCertPem?: string;
  readonly namespace?: string;
  /** Accept any certificate (never in production; for lab setups only). */
  readonly tlsSkipVerify?: boolean;
  /** Per-request timeout. */
  readonly timeoutMs: number;
}

/**
 * Where the task's Vault token comes from. Nomad owns that token (derives,
 * renews, replaces and revokes it); the task host only reads it, on every
 * Vault request, so a token Nomad replaced is picked up.
 */
export interface TokenSourceSpec {
  /** `<task dir>/secrets/vault_token`, written by Nomad (absent with `disable_file`). */
  readonly file?: string;
  /** The task env's VAULT_TOKEN, only when there is no file to read. */
  readonly env?: string;
}

export interface VaultTaskSpec {
  readonly connection: VaultConnection;
  readonly token: TokenSourceSpec;
  readonly secrets: readonly SecretSpec[];
  /** Re-read interval of secrets without a lease (KV): they may change in Vault. */
  readonly staticRefreshMs: number;
}
