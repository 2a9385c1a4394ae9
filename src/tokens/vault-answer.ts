// The last line of the token guard, in the task host: a Vault read whose
// answer holds the very token that made the request (auth/token/lookup-self
// under another spelling, a KV secret someone stored the token in) is
// refused before any of it reaches the secret store, so no `config_keys`
// or `secret_env` can pass it on.
import { DriverError } from '../errors.js';
import { MIN_TOKEN_LENGTH } from './nomad-tokens.js';

/** Throws GRANT_EXPOSES_TOKEN when any string of `data` contains `token`; names the field, never the value. */
export function refuseTokenInAnswer(path: string, data: unknown, token: string): void {
  if (token.length < MIN_TOKEN_LENGTH) return;
  const field = fieldHolding(data, token, '');
  if (field === undefined) return;
  throw new DriverError(
    'GRANT_EXPOSES_TOKEN',
    `Vault's answer for ${path} holds the task's own Vault token (field "${field}"); a component is never given a token: read a secret that is not a token`,
  );
}

function fieldHolding(value: unknown, token: string, at: string): string | undefined {
  if (typeof value === 'string') return value.includes(token) ? at || '(value)' : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const found = fieldHolding(inner, token, at ? `${at}.${key}` : key);
    if (found !== undefined) return found;
  }
  return undefined;
}
