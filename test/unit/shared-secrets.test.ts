// The secret values a command's worker thread reads from shared memory
// (src/task-host/shared-secrets.ts): a rotation leaves none of the old
// values behind the new ones, and a corrupt snapshot is reported with a
// fixed message, never with the parser's quote of the snapshot (which holds
// every key of every secret, granted or not).
import { describe, expect, it } from 'vitest';
import { shareSecrets, sharedSecretKeys } from '../../src/task-host/shared-secrets.ts';
import { SecretStore } from '../../src/vault/secret-store.ts';
import { ConfigStoreError } from '../../src/wasi/config-store.ts';

const HEADER_BYTES = 8;

function bodyText(buffer: SharedArrayBuffer, bytes: number): string {
  return Buffer.from(new Uint8Array(buffer, HEADER_BYTES, bytes)).toString('latin1');
}

describe('shared secret values', () => {
  it('a shorter snapshot after a rotation leaves no byte of the old one behind it', () => {
    const store = new SecretStore();
    store.set('db', new Map([['db.password', 'a-long-old-password-value-0123456789']]));
    const buffer = shareSecrets(store, () => undefined);
    const before = new Int32Array(buffer, 0, 2)[1] ?? 0;
    store.set('db', new Map([['db.password', 'new']]));
    expect(bodyText(buffer, before)).not.toContain('old-password');
    expect(sharedSecretKeys(buffer).get('db.password')).toBe('new');
  });

  it('a corrupt snapshot answers a fixed io error that quotes none of it', () => {
    const store = new SecretStore();
    store.set('db', new Map([['db.password', 'p4ssw0rd-not-granted']]));
    const buffer = shareSecrets(store, () => undefined);
    const header = new Int32Array(buffer, 0, 2);
    const body = new Uint8Array(buffer, HEADER_BYTES);
    body[0] = 0x7b; // '{'
    body[1] = 0x7b; // '{': no longer JSON
    Atomics.add(header, 0, 2); // a new complete version, as a writer would leave it
    let thrown: unknown;
    try {
      sharedSecretKeys(buffer).get('db.password');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigStoreError);
    expect((thrown as ConfigStoreError).payload).toEqual({
      tag: 'io',
      val: 'secret values unreadable (the shared snapshot is corrupt)',
    });
  });
});
