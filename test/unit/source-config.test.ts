// Decoding of the component-source parts of the task and plugin configs:
// checksum, auth {}, registry {} blocks, signatures {} with namespaces.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { decodePluginConfig } from '../../src/config/plugin-config.js';
import { checkTrustMaterial, SIGNATURES_OFF } from '../../src/config/signature-config.js';
import { driverRejection } from '../support/rejection.js';
import { decodeTaskConfig } from '../../src/config/task-config.js';

const dir = mkdtempSync(join(tmpdir(), 'source-config-'));
const pem = (): string =>
  generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const keyA = pem();
const keyB = pem();
const keyAPath = join(dir, 'a.pub');
writeFileSync(keyAPath, keyA);
const rootPath = join(dir, 'trusted_root.json');
writeFileSync(
  rootPath,
  JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    certificateAuthorities: [],
  }),
);
const SUM = `sha256:${'e'.repeat(64)}`;

const task = (values: Record<string, unknown>): Uint8Array => encode({ component: 'local/app.wasm', ...values });
const plugin = (values: Record<string, unknown>): Uint8Array => encode({ cache_dir: '/c', ...values });

describe('task config: checksum and auth', () => {
  it('reads a checksum and user/password auth (a block list of one)', () => {
    const config = decodeTaskConfig(
      task({ checksum: SUM, auth: [{ username: 'ci', password: 's3cret', identity_token: null }] }),
    );
    expect(config.checksum).toBe(SUM);
    expect(config.auth).toEqual({ username: 'ci', password: 's3cret' });
  });

  it('reads an identity token and refuses it together with a username', () => {
    expect(decodeTaskConfig(task({ auth: [{ identity_token: 'tok', username: null, password: null }] })).auth).toEqual({
      identityToken: 'tok',
    });
    expect(() => decodeTaskConfig(task({ auth: [{ identity_token: 'tok', username: 'u', password: null }] }))).toThrow(
      /"auth": set either username\/password or identity_token, not both/,
    );
  });

  it('refuses an empty auth block and a malformed checksum, naming the field', () => {
    expect(() => decodeTaskConfig(task({ auth: [{ username: null, password: null, identity_token: null }] }))).toThrow(
      /"auth": set username\/password or identity_token/,
    );
    expect(() => decodeTaskConfig(task({ checksum: 'md5:abc' }))).toThrow(/config field "checksum": must be "sha256:"/);
  });
});

describe('plugin config: registries, cache bounds, signatures', () => {
  it('has safe defaults: signatures off, 4 GiB cache, 256 MiB components', () => {
    const config = decodePluginConfig(plugin({}));
    expect(config.signatures.default).toEqual({ mode: 'off', keys: [], identities: [] });
    expect(config.cacheMaxBytes).toBe(4096 * 1024 * 1024);
    expect(config.maxComponentBytes).toBe(256 * 1024 * 1024);
    expect(config.registries).toEqual([]);
  });

  it('reads registry blocks and refuses a host with a scheme or a duplicate', () => {
    const config = decodePluginConfig(
      plugin({
        registry: [
          {
            host: 'registry.internal:5000',
            username: 'u',
            password: 'p',
            identity_token: null,
            insecure: true,
            ca_cert: null,
          },
        ],
      }),
    );
    expect(config.registries).toEqual([
      { host: 'registry.internal:5000', auth: { username: 'u', password: 'p' }, insecure: true, caCertPem: undefined },
    ]);
    expect(() => decodePluginConfig(plugin({ registry: [{ host: 'https://r.io', insecure: false }] }))).toThrow(
      /registry\[0\].host": must be host\[:port\]/,
    );
    expect(() => decodePluginConfig(plugin({ registry: [{ host: 'r.io' }, { host: 'r.io' }] }))).toThrow(
      /"r.io" is configured twice/,
    );
  });

  it('reads signature keys from files or inline PEM, and namespace rules from labelled blocks', () => {
    const config = decodePluginConfig(
      plugin({
        signatures: [
          {
            mode: 'warn',
            trusted_root: null,
            public_keys: [keyAPath, keyB],
            identity: null,
            namespace: { prod: { mode: 'enforce', public_keys: [keyA], identity: null } },
          },
        ],
      }),
    );
    expect(config.signatures.default).toEqual({ mode: 'warn', keys: [keyA, keyB], identities: [] });
    expect(config.signatures.namespaces).toEqual({ prod: { mode: 'enforce', keys: [keyA] } });
  });

  it('refuses a namespace rule that loosens the default (mode or keys)', () => {
    const base = { trusted_root: null, identity: null, public_keys: [keyA] };
    expect(() =>
      decodePluginConfig(plugin({ signatures: [{ ...base, mode: 'enforce', namespace: { dev: { mode: 'warn' } } }] })),
    ).toThrow(/"warn" would loosen the default "enforce"/);
    expect(() =>
      decodePluginConfig(
        plugin({ signatures: [{ ...base, mode: 'enforce', namespace: { dev: { public_keys: [keyB] } } }] }),
      ),
    ).toThrow(/key\(s\) that the default does not accept/);
  });

  it('refuses policies that could never admit anything or lack the root they need', () => {
    expect(() => decodePluginConfig(plugin({ signatures: [{ mode: 'enforce' }] }))).toThrow(
      /"signatures": mode "enforce" needs public_keys or an identity block/,
    );
    expect(() =>
      decodePluginConfig(
        plugin({ signatures: [{ mode: 'enforce', identity: [{ issuer: 'https://issuer', subject: '*@acme.com' }] }] }),
      ),
    ).toThrow(/certificate identities need "signatures.trusted_root"/);
    const ok = decodePluginConfig(
      plugin({
        signatures: [
          { mode: 'enforce', trusted_root: rootPath, identity: [{ issuer: 'https://issuer', subject: '*@acme.com' }] },
        ],
      }),
    );
    expect(ok.signatures.default.identities).toEqual([{ issuer: 'https://issuer', subject: '*@acme.com' }]);
    expect(ok.signatures.trustedRoot).toMatchObject({ certificateAuthorities: [] });
  });

  it('names a missing key file or an unknown mode', () => {
    expect(() =>
      decodePluginConfig(plugin({ signatures: [{ mode: 'enforce', public_keys: ['/nonexistent/cosign.pub'] }] })),
    ).toThrow(/"signatures.public_keys\[0\]": cannot read \/nonexistent\/cosign.pub/);
    expect(() => decodePluginConfig(plugin({ signatures: [{ mode: 'strict', public_keys: [keyA] }] }))).toThrow(
      /"signatures.mode": must be "off", "warn" or "enforce", got "strict"/,
    );
  });
});

describe('checkTrustMaterial (SetConfig)', () => {
  it('accepts a well-formed trusted root and no root at all', async () => {
    const config = decodePluginConfig(
      plugin({
        signatures: [
          { mode: 'enforce', trusted_root: rootPath, identity: [{ issuer: 'https://issuer', subject: '*' }] },
        ],
      }),
    );
    await expect(checkTrustMaterial(config.signatures)).resolves.toBeUndefined();
    await expect(checkTrustMaterial(SIGNATURES_OFF)).resolves.toBeUndefined();
  });

  it('refuses a root whose authority has no certificate chain, naming the field', async () => {
    const badRoot = join(dir, 'bad_root.json');
    writeFileSync(badRoot, JSON.stringify({ certificateAuthorities: [{ uri: 'https://ca.example' }] }));
    const config = decodePluginConfig(
      plugin({
        signatures: [
          { mode: 'enforce', trusted_root: badRoot, identity: [{ issuer: 'https://issuer', subject: '*' }] },
        ],
      }),
    );
    const err = await driverRejection(checkTrustMaterial(config.signatures));
    expect(err.code).toBe('PLUGIN_CONFIG_INVALID');
    expect(err.message).toMatch(
      /config field "signatures.trusted_root": trusted root authority #1 \(https:\/\/ca.example\) has no certChain/,
    );
  });
});
