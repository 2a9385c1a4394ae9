// The operator CLI against a real registry: push, inspect and verify as an
// operator would run them (the built bin/nomad-wasm).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OciClient } from '../../src/oci/client.js';
import { parseOciReference } from '../../src/oci/reference.js';
import { startRegistry, type RunningRegistry } from '../oci/support/registry.js';
import { nomadWasm } from '../runtime/support/cli.js';
import { COMPONENTS } from '../runtime/support/task-host.js';
import { digestOf, makeKey, messageSignatureBundle, signBytes } from '../verify/support/key-signer.js';

const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
let registry: RunningRegistry;
const key = makeKey();
const keyFile = join(mkdtempSync(join(tmpdir(), 'cli-oci-')), 'cosign.pub');

beforeAll(async () => {
  registry = await startRegistry({ kind: 'htpasswd', username: 'ops', password: 'hunter2' });
  writeFileSync(keyFile, key.publicPem);
});
afterAll(async () => registry?.stop());

const auth = ['--username', 'ops'];
const env = { NOMAD_WASM_REGISTRY_PASSWORD: 'hunter2' };

describe('nomad-wasm against a registry', () => {
  it('push publishes a Wasm artifact and prints only its manifest-digest reference; inspect reads it back', async () => {
    const file = join(COMPONENTS, 'echo-http.wasm');
    const pushed = await nomadWasm(['push', file, `oci://${registry.host}/ops/echo:2`, ...auth], env);
    expect(pushed.code).toBe(0);
    // stdout is the one line to pin; the layer digest (not a manifest) is only told on stderr.
    const digestRef = pushed.stdout.trim();
    expect(digestRef).toMatch(new RegExp(`^oci://${registry.host}/ops/echo@sha256:[0-9a-f]{64}$`));
    expect(pushed.stderr).toContain(`component layer ${digestOf(await readFile(file))}`);

    const inspected = await nomadWasm(['inspect', '--json', digestRef ?? '', ...auth], env);
    expect(inspected.code).toBe(0);
    const report = JSON.parse(inspected.stdout) as {
      digest: string;
      manifestDigest: string;
      world: string;
      signatures: unknown[];
    };
    expect(report.digest).toBe(digestOf(await readFile(file)));
    expect(`oci://${registry.host}/ops/echo@${report.manifestDigest}`).toBe(digestRef);
    expect(report.world).toBe('wasi:http service');
    expect(report.signatures).toEqual([]);
    expect(inspected.stderr).toMatch(/^Pulling oci:\/\//m);
  });

  it('push without the password fails with the auth error code', async () => {
    const result = await nomadWasm(['push', join(COMPONENTS, 'echo-http.wasm'), `oci://${registry.host}/ops/echo:3`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error \[OCI_AUTH_FAILED\]: /m);
  });

  it('verify accepts a component signed by the given key and refuses an unsigned one', async () => {
    const bytes = await readFile(join(COMPONENTS, 'hello-command.wasm'));
    const client = new OciClient({ credentials: { username: 'ops', password: 'hunter2' } });
    const signedRef = `oci://${registry.host}/ops/hello:signed`;
    const signed = await client.pushComponent(parseOciReference(signedRef), bytes);
    const bundle = messageSignatureBundle(bytes, signBytes(key.privateKey, bytes), { hint: key.hint });
    await client.pushReferrer(parseOciReference(signedRef), signed.manifestDigest, BUNDLE_TYPE, bundle, BUNDLE_TYPE);
    const ok = await nomadWasm(['verify', signedRef, '--key', keyFile, ...auth], env);
    expect(ok.code).toBe(0);
    // The manifest digest first: what a job or Terraform pins.
    expect(ok.stdout).toBe(
      `verified oci://${registry.host}/ops/hello@${signed.manifestDigest}\n` +
        `component layer ${digestOf(bytes)} (what the signature covers)\n` +
        `signed by key sha256:${key.fingerprintHex} (${signedRef} (referrers-tag))\n`,
    );

    await client.pushComponent(
      parseOciReference(`oci://${registry.host}/ops/hello:unsigned`),
      Buffer.concat([bytes, Buffer.from([0, 2, 1, 0x78])]),
    );
    const refused = await nomadWasm(
      ['verify', `oci://${registry.host}/ops/hello:unsigned`, '--key', keyFile, ...auth],
      env,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error \[SIGNATURE_MISSING\]: no signature found/m);

    // --json (what the Terraform provider reads): the verdict on stdout either way.
    const okJson = await nomadWasm(['verify', signedRef, '--key', keyFile, '--json', ...auth], env);
    expect(okJson.code).toBe(0);
    expect(JSON.parse(okJson.stdout)).toMatchObject({
      verified: true,
      digest: digestOf(bytes),
      manifestDigest: signed.manifestDigest,
      pinnedReference: `oci://${registry.host}/ops/hello@${signed.manifestDigest}`,
      signer: { kind: 'key', keyFingerprint: key.fingerprintHex },
    });
    const refusedJson = await nomadWasm(
      ['verify', `oci://${registry.host}/ops/hello:unsigned`, '--key', keyFile, '--json', ...auth],
      env,
    );
    expect(refusedJson.code).toBe(1);
    expect(JSON.parse(refusedJson.stdout)).toMatchObject({ verified: false, code: 'SIGNATURE_MISSING' });
  });

  it('a layer digest given as the component digest fails naming the mistake (OCI_NOT_A_MANIFEST)', async () => {
    const bytes = await readFile(join(COMPONENTS, 'hello-command.wasm'));
    const client = new OciClient({ credentials: { username: 'ops', password: 'hunter2' } });
    const pushed = await client.pushComponent(parseOciReference(`oci://${registry.host}/ops/layer:v1`), bytes);
    const layerRef = `oci://${registry.host}/ops/layer@${pushed.layerDigest}`;
    for (const command of [
      ['verify', layerRef, '--key', keyFile],
      ['inspect', layerRef],
    ]) {
      const result = await nomadWasm([...command, ...auth], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(
          `^error \\[OCI_NOT_A_MANIFEST\\]: manifest .*${pushed.layerDigest} is a blob of the repository`,
          'm',
        ),
      );
      expect(result.stderr).toContain('pin the manifest digest');
    }
    // A digest that is nothing in the repository stays a plain "not found" of the registry's kind.
    const nothing = await nomadWasm(
      ['inspect', `oci://${registry.host}/ops/layer@sha256:${'0'.repeat(64)}`, ...auth],
      env,
    );
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).not.toContain('OCI_NOT_A_MANIFEST');
  });

  it('push --sign-key signs with a PEM key (plain and encrypted); verify accepts it with the public key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-sign-'));
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(join(dir, 'signing.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(
      join(dir, 'encrypted.key'),
      privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'correct horse' }),
    );
    writeFileSync(join(dir, 'signing.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const fingerprint = createHash('sha256')
      .update(publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex');
    const file = join(COMPONENTS, 'hello-http.wasm');
    const cases: { key: string; tag: string; extraEnv: Record<string, string> }[] = [
      { key: 'signing.key', tag: 'plain', extraEnv: {} },
      { key: 'encrypted.key', tag: 'encrypted', extraEnv: { NOMAD_WASM_SIGNING_KEY_PASSWORD: 'correct horse' } },
    ];
    for (const { key: keyName, tag, extraEnv } of cases) {
      const ref = `oci://${registry.host}/ops/signed:${tag}`;
      const pushed = await nomadWasm(['push', file, ref, '--sign-key', join(dir, keyName), ...auth], {
        ...env,
        ...extraEnv,
      });
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(pushed.stderr).toContain(`Signed with key sha256:${fingerprint}`);
      const pinned = pushed.stdout.trim();
      const verified = await nomadWasm(['verify', pinned, '--key', join(dir, 'signing.pub'), ...auth], env);
      expect(verified.code, verified.stderr).toBe(0);
      expect(verified.stdout).toMatch(new RegExp(`^verified ${pinned}\n`));
      expect(verified.stdout).toContain(`signed by key sha256:${fingerprint}`);
    }
    // ...and another key does not verify it.
    const other = await nomadWasm(
      ['verify', `oci://${registry.host}/ops/signed:plain`, '--key', keyFile, ...auth],
      env,
    );
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/^error \[SIGNER_NOT_TRUSTED\]/m);
  });

  it('push --sign-key refuses an unusable key with SIGNING_KEY_INVALID and pushes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-badkey-'));
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    writeFileSync(join(dir, 'p384.key'), p384.export({ type: 'pkcs8', format: 'pem' }));
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    writeFileSync(
      join(dir, 'locked.key'),
      p256.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }),
    );
    writeFileSync(
      join(dir, 'cosign.key'),
      '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnt9fQ==\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n',
    );
    const expectations = [
      { key: 'p384.key', message: /ec secp384r1 key; signing needs ECDSA P-256/ },
      { key: 'locked.key', message: /encrypted: set \$NOMAD_WASM_SIGNING_KEY_PASSWORD/ },
      { key: 'cosign.key', message: /cosign-encrypted key, which nomad-wasm cannot read: .*cosign sign --key/ },
      { key: 'missing.key', message: /cannot read signing key/ },
    ];
    for (const { key: keyName, message } of expectations) {
      const tag = keyName.replace('.key', '');
      const result = await nomadWasm(
        [
          'push',
          join(COMPONENTS, 'hello-http.wasm'),
          `oci://${registry.host}/ops/badkey:${tag}`,
          '--sign-key',
          join(dir, keyName),
          ...auth,
        ],
        env,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error \[SIGNING_KEY_INVALID\]: /m);
      expect(result.stderr).toMatch(message);
      const tagList = await fetch(`http://${registry.host}/v2/ops/badkey/tags/list`, {
        headers: { authorization: `Basic ${Buffer.from('ops:hunter2').toString('base64')}` },
      });
      // Nothing was pushed: the repository does not exist (404) or has no such tag.
      if (tagList.status === 200) expect(((await tagList.json()) as { tags: string[] }).tags).not.toContain(tag);
      else expect(tagList.status).toBe(404);
    }
  });
});
