// Components from an authenticated OCI registry, admitted by the node's
// signature policy, through a real Nomad agent: the plugin config's
// `signatures` block (with a `namespace "default"` rule) and the job's
// `auth {}` block are decoded from real HCL by Nomad itself.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OciClient } from '../../src/oci/client.js';
import { parseOciReference } from '../../src/oci/reference.js';
import { startRegistry, type RunningRegistry } from '../oci/support/registry.js';
import { makeKey, messageSignatureBundle, signBytes } from '../verify/support/key-signer.js';
import { isDead, taskState } from './support/alloc-state.js';
import { exampleJob, wasmJob, type WasmJobSpec } from './support/jobs.js';
import type { Allocation } from './support/nomad-api.js';
import { REPO_ROOT } from './support/nomad-agent.js';
import { useE2e } from './support/suite.js';

const USER = 'deployer';
const PASSWORD = 'pull-secret';
const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const key = makeKey();
let registry: RunningRegistry | undefined;

const context = useE2e(async () => {
  registry = await startRegistry({ kind: 'htpasswd', username: USER, password: PASSWORD });
  const client = new OciClient({ credentials: { username: USER, password: PASSWORD } });
  const hello = await readFile(join(REPO_ROOT, '.cache/components/hello-command.wasm'));
  const signed = await client.pushComponent(parseOciReference(`oci://${registry.host}/apps/hello:signed`), hello);
  const bundle = messageSignatureBundle(hello, signBytes(key.privateKey, hello), { hint: key.hint });
  await client.pushReferrer(
    parseOciReference(`oci://${registry.host}/apps/hello:signed`),
    signed.manifestDigest,
    BUNDLE_TYPE,
    bundle,
    BUNDLE_TYPE,
  );
  // Other bytes (the same component plus a custom section), never signed:
  // a verdict is per digest, so the same bytes would count as signed.
  const unsigned = Buffer.concat([hello, Buffer.from([0x00, 0x06, 0x05]), Buffer.from('extra')]);
  await client.pushComponent(parseOciReference(`oci://${registry.host}/apps/unsigned:1`), unsigned);
  const keyFile = join(mkdtempSync(join(tmpdir(), 'e2e-keys-')), 'cosign.pub');
  writeFileSync(keyFile, key.publicPem);
  return {
    // A registry block too, so Nomad decodes one from real HCL (its host is not used here).
    wasmPluginConfig: `
    max_component_mb = 64
    registry {
      host     = "mirror.internal:5000"
      username = "node"
      password = "node-secret"
      insecure = true
    }
    signatures {
      mode        = "warn"
      public_keys = ["${keyFile}"]
      namespace "default" {
        mode = "enforce"
      }
    }`,
  };
});
afterAll(async () => registry?.stop());

// The password reaches the config the way the README says: task env from a
// template with env = true, interpolated by Nomad into the driver config.
const AUTH = `auth {\n          username = "${USER}"\n          password = "\${REGISTRY_PASSWORD}"\n        }`;
const SECRET_ENV = `template {\n        data        = "REGISTRY_PASSWORD=${PASSWORD}"\n        destination = "secrets/registry.env"\n        env         = true\n      }`;

async function runToEnd(spec: WasmJobSpec): Promise<Allocation> {
  const jobId = await context().agent.api.runJobHcl(wasmJob(spec, context().components.baseUrl));
  return context().agent.api.waitForAllocation(jobId, isDead(), `${spec.id} to finish`);
}

const messages = (alloc: Allocation): string =>
  taskState(alloc)
    ?.Events.map((e) => e.DisplayMessage)
    .join('\n') ?? '';

describe('OCI components under an enforced signature policy on a real Nomad agent', () => {
  it('pulls a signed component with the job’s credentials, verifies it, records the signer, and runs it', async () => {
    const alloc = await runToEnd({
      id: 'oci-signed',
      type: 'batch',
      component: 'hello-command',
      source: `oci://${registry?.host}/apps/hello:signed`,
      extraConfig: AUTH,
      extraTask: SECRET_ENV,
    });
    expect(taskState(alloc)?.Failed).toBe(false);
    expect(await context().agent.api.logs(alloc.ID, 't', 'stdout')).toBe('hello from wasm\n');
    expect(messages(alloc)).toMatch(new RegExp(`Pulling oci://${registry?.host}/apps/hello:signed \\(0\\.0 MiB`));
    expect(messages(alloc)).toContain(`signed by key sha256:${key.fingerprintHex}`);
  });

  it('refuses an unsigned component under enforce: the task fails with the reason in its events', async () => {
    const alloc = await runToEnd({
      id: 'oci-unsigned',
      type: 'batch',
      component: 'hello-command',
      source: `oci://${registry?.host}/apps/unsigned:1`,
      extraConfig: AUTH,
      extraTask: SECRET_ENV,
    });
    expect(taskState(alloc)?.Failed).toBe(true);
    expect(messages(alloc)).toMatch(
      /desc = \[SIGNATURE_MISSING\] .*no signature found for component sha256:[0-9a-f]{64}/,
    );
  });

  it('the example job jobs/hello-oci.nomad.hcl: password from a Nomad Variable, signed component runs', async () => {
    const api = context().agent.api;
    await api.putVariable('nomad/jobs/wasm-hello-oci', { registry_password: PASSWORD });
    const jobId = await api.runJobHcl(exampleJob('hello-oci.nomad.hcl'), {
      registry: registry?.host ?? '',
      username: USER,
    });
    const alloc = await api.waitForAllocation(jobId, isDead('hello'), 'hello-oci to finish');
    expect(taskState(alloc, 'hello')?.Failed).toBe(false);
    expect(await api.logs(alloc.ID, 'hello', 'stdout')).toBe('hello from wasm\nfrom\noci\n');
    expect(
      taskState(alloc, 'hello')
        ?.Events.map((e) => e.DisplayMessage)
        .join('\n'),
    ).toContain(`signed by key sha256:${key.fingerprintHex}`);
  });

  it('fails with an authentication error when the job gives no credentials', async () => {
    const alloc = await runToEnd({
      id: 'oci-noauth',
      type: 'batch',
      component: 'hello-command',
      source: `oci://${registry?.host}/apps/hello:signed`,
    });
    expect(taskState(alloc)?.Failed).toBe(true);
    expect(messages(alloc)).toMatch(/desc = \[OCI_AUTH_FAILED\] .*anonymously \(no credentials given\)/);
  });
});
