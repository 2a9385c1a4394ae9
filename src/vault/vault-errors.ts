// A Vault failure while a task starts, as the typed error the task fails
// with: retryable when Vault may answer later (unreachable, sealed, 5xx),
// not when the job or its policy must change (403, 404).
import { DriverError, type ErrorCode } from '../errors.js';
import type { SecretSpec } from './secret-spec.js';
import { VaultRequestError } from './vault-request-error.js';

export function startError(err: unknown, spec: SecretSpec, address: string): DriverError {
  if (err instanceof DriverError) return err;
  if (!(err instanceof VaultRequestError)) {
    return new DriverError(
      'VAULT_ERROR',
      `reading secret "${spec.name}" from Vault at ${address} failed: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  const what = `secret "${spec.name}" (path ${spec.path})`;
  switch (err.kind) {
    case 'unreachable':
      return new DriverError(
        'VAULT_UNREACHABLE',
        `Vault at ${address} is unreachable, so ${what} could not be read: ${err.message}`,
        { cause: err },
      );
    case 'permission-denied':
      return new DriverError(
        'VAULT_PERMISSION_DENIED',
        `Vault denied reading ${spec.path} for secret "${spec.name}" (${err.message}): the task's Vault policies (job vault { policies = [...] }) must allow "read" on "${spec.path}"`,
        { cause: err },
      );
    case 'not-found':
      return new DriverError(
        'VAULT_SECRET_NOT_FOUND',
        `Vault has nothing at ${spec.path} for secret "${spec.name}" (${err.message}): check the path (KV v2 paths include "data/", e.g. kv/data/app)`,
        { cause: err },
      );
    default:
      return new DriverError('VAULT_ERROR', `Vault failed to read ${what}: ${err.message}`, { cause: err });
  }
}

/** The catalogue code of a Vault failure while the task runs (events carry it: errors.ts codedEvent). */
export function vaultFailureCode(err: unknown): ErrorCode {
  if (err instanceof DriverError) return err.code;
  if (!(err instanceof VaultRequestError)) return 'VAULT_ERROR';
  switch (err.kind) {
    case 'unreachable':
      return 'VAULT_UNREACHABLE';
    case 'permission-denied':
      return 'VAULT_PERMISSION_DENIED';
    case 'not-found':
      return 'VAULT_SECRET_NOT_FOUND';
    default:
      return 'VAULT_ERROR';
  }
}

/** Worth trying again a moment later within the same start. */
export function transient(err: unknown): boolean {
  return err instanceof VaultRequestError && (err.kind === 'unreachable' || err.kind === 'server');
}
