// The task's Vault token, as Nomad gives it: the file `secrets/vault_token`
// (read on every request: Nomad rewrites it when it has to replace the
// token), else the VAULT_TOKEN the task env carried at start. The value is
// never kept by us beyond one request, never passed to the component, never
// logged or written anywhere. Nomad owns the token: we neither renew nor
// revoke it.
import { readFile } from 'node:fs/promises';
import { DriverError } from '../errors.js';
import type { TokenSourceSpec } from './secret-spec.js';
import type { TokenSource } from './vault-client.js';

export function tokenSource(spec: TokenSourceSpec): TokenSource {
  return async () => {
    if (spec.file !== undefined) {
      try {
        const token = (await readFile(spec.file, 'utf8')).trim();
        if (token !== '') return token;
      } catch (err) {
        if (spec.env === undefined) {
          throw new DriverError(
            'VAULT_TOKEN_MISSING',
            `cannot read the task's Vault token from ${spec.file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
            { cause: err },
          );
        }
      }
    }
    if (spec.env !== undefined && spec.env !== '') return spec.env;
    throw new DriverError(
      'VAULT_TOKEN_MISSING',
      `the task has no Vault token${spec.file ? ` (${spec.file} is empty)` : ''}: give the task a vault { policies = [...] } block`,
    );
  };
}
