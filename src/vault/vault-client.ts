// Our small interface over Vault's HTTP API, the three calls the lease
// manager needs, implemented with node-vault.
//
// node-vault falls back to VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE,
// VAULT_PREFIX and VAULT_SKIP_VERIFY from the process env for anything its
// options leave out; every one of them is set explicitly here, and the
// token goes with each request (read from its source each time, so a token
// Nomad replaced is used from the next request on). Its built-in renewal
// stops at the first failure and is not used (lease-manager.ts renews).
import { createRequire } from 'node:module';
import type NodeVault from 'node-vault';
import { refuseTokenInAnswer } from '../tokens/vault-answer.js';
import type { VaultConnection } from './secret-spec.js';
import { VaultRequestError, classifyResponse, classifyTransportFailure } from './vault-request-error.js';

/** What a read returned, before it is turned into config keys. */
export interface VaultReadResult {
  /** The response's `data` (for KV v2: `{ data, metadata }`). */
  readonly data: Readonly<Record<string, unknown>>;
  /** Empty for secrets without a lease (KV). */
  readonly leaseId: string;
  readonly leaseDurationSec: number;
  readonly renewable: boolean;
}

export interface LeaseRenewal {
  readonly leaseDurationSec: number;
  readonly renewable: boolean;
}

export interface VaultClient {
  readonly address: string;
  read(path: string): Promise<VaultReadResult>;
  /** `sys/leases/renew`: asks for `incrementSec` more; Vault may grant less (max TTL). */
  renew(leaseId: string, incrementSec: number): Promise<LeaseRenewal>;
  /** `sys/leases/revoke` (not in Vault's default policy: the task's policy must grant it). */
  revoke(leaseId: string): Promise<void>;
}

/** Returns the task's current Vault token (never stored by the caller). */
export type TokenSource = () => Promise<string>;

type NodeVaultFactory = typeof NodeVault;

let library: NodeVaultFactory | undefined;

/** node-vault (CommonJS), loaded once; only tasks that use Vault, and spares of nodes with Vault, load it. */
export function loadVaultLibrary(): NodeVaultFactory {
  library ??= createRequire(import.meta.url)('node-vault') as NodeVaultFactory;
  return library;
}

export function createVaultClient(connection: VaultConnection, token: TokenSource): VaultClient {
  const nodeVault = loadVaultLibrary();
  const client = nodeVault({
    endpoint: connection.address,
    apiVersion: 'v1',
    pathPrefix: '',
    // Non-empty so node-vault does not fall back to VAULT_TOKEN; each request sends its own.
    token: 'unused',
    namespace: connection.namespace ?? '',
    requestOptions: {
      // Always explicit: unset, node-vault would follow VAULT_SKIP_VERIFY.
      strictSSL: !connection.tlsSkipVerify,
      timeout: connection.timeoutMs,
      ...(connection.caCertPem ? { ca: connection.caCertPem } : {}),
    },
  }) as NodeVault.client & { namespace: string; pathPrefix: string };
  client.token = '';
  // An empty namespace option falls back to VAULT_NAMESPACE: set it afterwards.
  client.namespace = connection.namespace ?? '';
  client.pathPrefix = '';

  const withToken = async (): Promise<{ headers: Record<string, string> }> => ({
    headers: { 'X-Vault-Token': await token() },
  });
  const call = async <T>(
    operation: string,
    request: (options: { headers: Record<string, string> }) => Promise<unknown>,
    parse: (body: unknown, token: string) => T,
  ): Promise<T> => {
    const options = await withToken();
    let body: unknown;
    try {
      body = await request(options);
    } catch (err) {
      throw classify(err, operation, connection.address);
    }
    return parse(body, options.headers['X-Vault-Token'] ?? '');
  };

  return {
    address: connection.address,
    read: (path) =>
      call(
        `read ${path}`,
        (options) => client.read(path, options),
        (body, token) => {
          const result = parseRead(body);
          refuseTokenInAnswer(path, result.data, token);
          return result;
        },
      ),
    renew: (leaseId, incrementSec) =>
      call(
        'renew a lease',
        (options) => client.renew({ lease_id: leaseId, increment: incrementSec, requestOptions: options }),
        parseRenewal,
      ),
    revoke: (leaseId) =>
      call(
        'revoke a lease',
        (options) => client.revoke({ lease_id: leaseId, requestOptions: options }),
        () => undefined,
      ),
  };
}

function classify(err: unknown, operation: string, address: string): VaultRequestError {
  if (err instanceof VaultRequestError) return err;
  const response = (err as { response?: { statusCode?: unknown; body?: unknown } }).response;
  if (response && typeof response.statusCode === 'number')
    return classifyResponse(response.statusCode, response.body, operation, address);
  return classifyTransportFailure(err, operation, address);
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function parseRead(body: unknown): VaultReadResult {
  const response = record(body) ?? {};
  return {
    data: record(response['data']) ?? {},
    leaseId: typeof response['lease_id'] === 'string' ? response['lease_id'] : '',
    leaseDurationSec: typeof response['lease_duration'] === 'number' ? response['lease_duration'] : 0,
    renewable: response['renewable'] === true,
  };
}

function parseRenewal(body: unknown): LeaseRenewal {
  const response = record(body) ?? {};
  return {
    leaseDurationSec: typeof response['lease_duration'] === 'number' ? response['lease_duration'] : 0,
    renewable: response['renewable'] === true,
  };
}
