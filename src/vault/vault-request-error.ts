// One failed Vault request, classified: the lease manager decides from the
// kind whether to retry, re-read or give up, and the task start turns it
// into a typed DriverError (vault-errors.ts).

export type VaultFailureKind =
  /** No answer: connection refused or reset, DNS, timeout, TLS. */
  | 'unreachable'
  /** 403: the token lacks the policy, or the token itself is invalid or expired. */
  | 'permission-denied'
  /** 404: nothing at that path (no such KV secret, role or mount). */
  | 'not-found'
  /** 400 on a lease operation: the lease does not exist (any more) or cannot be renewed. */
  | 'lease-invalid'
  /** Anything else: sealed, 5xx, a 400 on a read. */
  | 'server';

export class VaultRequestError extends Error {
  readonly kind: VaultFailureKind;
  readonly status: number | undefined;

  constructor(kind: VaultFailureKind, message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VaultRequestError';
    this.kind = kind;
    this.status = status;
  }
}

/** Vault's own error text (`{"errors": [...]}`); never a response's data. */
function vaultErrors(body: unknown): string {
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (Array.isArray(errors) && errors.length > 0)
    return errors.filter((e): e is string => typeof e === 'string').join('; ');
  return '';
}

export function classifyResponse(status: number, body: unknown, operation: string, address: string): VaultRequestError {
  const text = vaultErrors(body);
  const detail = `Vault at ${address} answered ${status}${text ? ` (${text})` : ''} to ${operation}`;
  if (status === 403) return new VaultRequestError('permission-denied', detail, status);
  if (status === 404) return new VaultRequestError('not-found', detail, status);
  if (status === 400 && operation.includes('lease') && /lease|not renewable|invalid/i.test(text)) {
    return new VaultRequestError('lease-invalid', detail, status);
  }
  return new VaultRequestError('server', detail, status);
}

const TLS_CODES = /CERT|SELF_SIGNED|TLS|SSL|UNABLE_TO_VERIFY|HOSTNAME/i;

export function classifyTransportFailure(err: unknown, operation: string, address: string): VaultRequestError {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  const tls =
    typeof code === 'string' && TLS_CODES.test(code)
      ? " (TLS: is the plugin config's vault { ca_cert } the CA of Vault's certificate?)"
      : '';
  const timeout = code === 'ECONNABORTED' || code === 'ETIMEDOUT' ? ' (timed out)' : '';
  // The cause is rebuilt from the code and message only: the library's error
  // object carries the request, whose headers hold the task's token.
  const cause = new Error(`${typeof code === 'string' ? `${code}: ` : ''}${message}`);
  return new VaultRequestError(
    'unreachable',
    `Vault at ${address} is unreachable to ${operation}: ${message}${timeout}${tls}`,
    undefined,
    { cause },
  );
}
