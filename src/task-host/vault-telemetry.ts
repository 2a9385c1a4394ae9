// The Vault client of a task's lease manager, each operation told to
// telemetry: reads (at start, and again for a rotation), renewals and
// revocations, with the secret's path and the lease's TTL. Never a value,
// a lease id or a token: the lease id is only ever passed through.
import type { LeaseRenewal, VaultClient, VaultReadResult } from '../vault/vault-client.js';
import { ATTR_VAULT_LEASE_TTL, ATTR_VAULT_PATH, ATTR_VAULT_RENEWABLE } from '../telemetry/semconv.js';

type Attributes = Record<string, string | number | boolean>;

export interface VaultHooks {
  vault(
    operation: 'read' | 'renew' | 'revoke' | 'rotate',
    attributes: Attributes,
  ): (outcome: { error?: unknown; attributes?: Attributes }) => void;
}

export function observedVaultClient(client: VaultClient, hooks: VaultHooks): VaultClient {
  const readBefore = new Set<string>();
  // Lease ids map to the path they came from, so that renewals name a path (not the id).
  const pathOfLease = new Map<string, string>();
  const observe = async <T>(
    operation: 'read' | 'renew' | 'revoke' | 'rotate',
    attributes: Attributes,
    call: () => Promise<T>,
    after: (result: T) => Attributes,
  ): Promise<T> => {
    const end = hooks.vault(operation, attributes);
    try {
      const result = await call();
      end({ attributes: after(result) });
      return result;
    } catch (err) {
      end({ error: err });
      throw err;
    }
  };
  return {
    address: client.address,
    read: (path) => {
      // A path read again is a rotation (max TTL reached, lease lost, or a static refresh).
      const operation = readBefore.has(path) ? 'rotate' : 'read';
      readBefore.add(path);
      return observe(
        operation,
        { [ATTR_VAULT_PATH]: path },
        () => client.read(path),
        (result: VaultReadResult) => {
          if (result.leaseId !== '') pathOfLease.set(result.leaseId, path);
          return { [ATTR_VAULT_LEASE_TTL]: result.leaseDurationSec, [ATTR_VAULT_RENEWABLE]: result.renewable };
        },
      );
    },
    renew: (leaseId, incrementSec) =>
      observe(
        'renew',
        { [ATTR_VAULT_PATH]: pathOfLease.get(leaseId) ?? 'unknown' },
        () => client.renew(leaseId, incrementSec),
        (renewal: LeaseRenewal) => ({ [ATTR_VAULT_LEASE_TTL]: renewal.leaseDurationSec }),
      ),
    revoke: (leaseId) =>
      observe(
        'revoke',
        { [ATTR_VAULT_PATH]: pathOfLease.get(leaseId) ?? 'unknown' },
        () => client.revoke(leaseId),
        () => ({}),
      ),
  };
}
