// The operator CLI against a real registry: push, inspect and verify as an
// operator would run them (the built bin/nomad-wasm).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
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
  it('push publishes a Wasm artifact and prints its digest reference; inspect reads it back', async () => {
    const file = join(COMPONENTS, 'echo-http.wasm');
    const pushed = await nomadWasm(['push', file, `oci://${registry.host}/ops/echo:2`, ...auth], env);
    expect(pushed.code).toBe(0);
    const [digestRef, layerLine] = pushed.stdout.trim().split('\n');
    expect(digestRef).toMatch(new RegExp(`^oci://${registry.host}/ops/echo@sha256:[0-9a-f]{64}$`));
    expect(layerLine).toBe(`layer ${digestOf(await readFile(file))}`);

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
    expect(ok.stdout).toBe(
      `verified ${digestOf(bytes)}\nsigned by key sha256:${key.fingerprintHex} (${signedRef} (referrers-tag))\n`,
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
      signer: { kind: 'key', keyFingerprint: key.fingerprintHex },
    });
    const refusedJson = await nomadWasm(
      ['verify', `oci://${registry.host}/ops/hello:unsigned`, '--key', keyFile, '--json', ...auth],
      env,
    );
    expect(refusedJson.code).toBe(1);
    expect(JSON.parse(refusedJson.stdout)).toMatchObject({ verified: false, code: 'SIGNATURE_MISSING' });
  });
});
