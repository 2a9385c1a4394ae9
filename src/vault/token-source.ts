// The task's Vault token, as Nomad gives it: the file `secrets/vault_token`
// (read on every request: Nomad rewrites it when it has to replace the
// token), else the VAULT_TOKEN the task env carried at start (Nomad's
// `vault { disable_file = true }`). Never passed to the component, never
// logged or written anywhere. Nomad owns the token: we neither renew nor
// revoke it.
//
// From the file, the value lives for one request. From the env, there is no
// file to read it again from, so this one holder keeps it (the launch spec's
// copy is removed as soon as the spec is read, task-host/main.ts) until it
// is no longer needed: when the task's secrets need no more Vault requests
// (no lease to renew or revoke, nothing to re-read) or once its leases are
// revoked at stop, `drop()` forgets it and any later request fails.
import { readFile } from 'node:fs/promises';
import { DriverError } from '../errors.js';
import type { TokenSourceSpec } from './secret-spec.js';
import type { TokenSource } from './vault-client.js';

export interface DroppableTokenSource extends TokenSource {
  /** Forgets a token held from the env; a file keeps being read. */
  drop(): void;
  /** Whether a token from the env is still held (for tests and the task host's notice). */
  readonly holding: boolean;
}

export function tokenSource(spec: TokenSourceSpec): DroppableTokenSource {
  let held = spec.env !== undefined && spec.env !== '' ? spec.env : undefined;
  let dropped = false;
  const source = async (): Promise<string> => {
    if (spec.file !== undefined) {
      try {
        const token = (await readFile(spec.file, 'utf8')).trim();
        if (token !== '') return token;
      } catch (err) {
        if (held === undefined) {
          throw new DriverError(
            'VAULT_TOKEN_MISSING',
            `cannot read the task's Vault token from ${spec.file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
            { cause: err },
          );
        }
      }
    }
    if (held !== undefined) return held;
    throw new DriverError(
      'VAULT_TOKEN_MISSING',
      dropped
        ? "the task's Vault token (from its env) was dropped once its secrets needed no more Vault requests"
        : `the task has no Vault token${spec.file ? ` (${spec.file} is empty)` : ''}: give the task a vault { policies = [...] } block`,
    );
  };
  // A getter, not a copied value: Object.assign would freeze `holding` at false or true.
  return Object.defineProperties(source, {
    drop: {
      value: () => {
        held = undefined;
        dropped = true;
      },
    },
    holding: { get: () => held !== undefined },
  }) as DroppableTokenSource;
}
