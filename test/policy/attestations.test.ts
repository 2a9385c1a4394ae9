// Admission end to end through the driver's own start path (ComponentProvider
// and StartAdmission, as TaskManager.start drives them), against a real OCI
// registry with the referrers API (go-containerregistry's), signatures and
// attestations made by the real cosign (`cosign sign` / `cosign attest` with
// the v3 bundle format), SBOMs written by `nomad-wasm sbom`, and the example
// policies compiled by the real OPA.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_OFF, type PolicyConfig } from '../../src/config/policy-config.js';
import type { SignatureConfig } from '../../src/config/signature-config.js';
import { OciClient } from '../../src/oci/client.js';
import { parseOciReference } from '../../src/oci/reference.js';
import { digestOfJson } from '../../src/policy/canonical-json.js';
import { startReferrersRegistry, type ReferrersRegistry } from '../oci/support/referrers-registry.js';
import { startRegistry } from '../oci/support/registry.js';
import { COMPONENTS } from '../runtime/support/task-host.js';
import { nomadWasm } from '../runtime/support/cli.js';
import { providerHarness } from '../sources/support/provider.js';
import { driverRejection } from '../support/rejection.js';
import { Cosign, slsaProvenance } from './support/cosign.js';
import { schemaErrors } from './support/input-schema.js';
import { buildBundle } from './support/opa.js';

const SLSA = 'https://slsa.dev/provenance/v1';
const REPO = 'https://github.com/acme/hello';
const EXAMPLES = new URL('../../policy/examples/', import.meta.url).pathname;

let registry: ReferrersRegistry;
let client: OciClient;
let trusted: Cosign;
let stranger: Cosign;
let hello: Buffer;
let exampleBundle: string;
const work = mkdtempSync(join(tmpdir(), 'attestations-'));

/** A component of its own bytes in its own repository, pushed; its references. */
async function push(repo: string): Promise<{ ref: string; image: string; manifestDigest: string; digest: string }> {
  // A trailing custom section named after the repository: distinct bytes, distinct digests.
  const name = Buffer.from(repo);
  const bytes = Buffer.concat([hello, Buffer.from([0, name.length + 1, name.length]), name]);
  const pushed = await client.pushComponent(parseOciReference(`oci://${registry.host}/${repo}:1`), bytes);
  const image = `${registry.host}/${repo}@${pushed.manifestDigest}`;
  return { ref: `oci://${image}`, image, manifestDigest: pushed.manifestDigest, digest: pushed.layerDigest };
}

const keyed = (mode: 'warn' | 'enforce' | 'off' = 'enforce'): SignatureConfig => ({
  default: { mode, keys: [trusted.publicKeyPem], identities: [] },
  namespaces: {},
  trustedRoot: undefined,
});

const policy = (rules: Partial<PolicyConfig['default']>, extra: Partial<PolicyConfig> = {}): PolicyConfig => ({
  ...POLICY_OFF,
  jobHistory: false, // no Nomad here: drift is the e2e test's
  ...extra,
  default: { ...POLICY_OFF.default, ...rules },
});

beforeAll(async () => {
  registry = await startReferrersRegistry();
  client = new OciClient();
  trusted = new Cosign();
  stranger = new Cosign();
  hello = await readFile(join(COMPONENTS, 'hello-command.wasm'));
  exampleBundle = join(work, 'examples.tar.gz');
  const files = Object.fromEntries(
    ['decision.rego', 'network.rego', 'provenance.rego', 'licences.rego', 'memory.rego', 'drift.rego', 'data.json'].map(
      (f) => [f, readFileSync(join(EXAMPLES, f), 'utf8')],
    ),
  );
  writeFileSync(exampleBundle, buildBundle(files, ['wasm/admission/decision']));
});
afterAll(async () => {
  client?.close();
  await registry?.stop();
  trusted?.remove();
  stranger?.remove();
});

describe('signatures the cosign v3 way', () => {
  it('admits a component signed with `cosign sign --new-bundle-format` (a DSSE statement naming the manifest)', async () => {
    const c = await push('signed/v3');
    trusted.sign(c.image);
    const h = await providerHarness({ signatures: keyed() });
    const started = await h.provide(c.ref);
    expect(started.admission).toMatchObject({ status: 'verified', digest: c.digest, signer: { kind: 'key' } });
  });

  it('an attestation is not a signature: an attested but unsigned component is SIGNATURE_MISSING under enforce', async () => {
    const c = await push('attested/unsigned');
    trusted.attest(c.image, 'slsaprovenance1', slsaProvenance(REPO, 'refs/tags/v1'));
    const h = await providerHarness({ signatures: keyed() });
    expect((await driverRejection(h.provide(c.ref))).code).toBe('SIGNATURE_MISSING');
  });
});

describe('provenance and SBOM attestations (require_provenance, require_sbom)', () => {
  it('verified SLSA provenance is read into the admission and the event; later starts read the record', async () => {
    const c = await push('attested/provenance');
    trusted.sign(c.image);
    trusted.attest(c.image, 'slsaprovenance1', slsaProvenance(REPO, 'refs/tags/v1'));
    const h = await providerHarness({
      signatures: keyed(),
      policy: policy({ mode: 'enforce', requireProvenance: true }),
    });
    const first = await h.provide(c.ref);
    expect(first.record.attestations).toMatchObject({
      checked: true,
      fromCache: false,
      rejected: [],
      provenance: [
        {
          predicate_type: SLSA,
          builder_id: 'https://github.com/actions/runner/github-hosted',
          source: { repository: REPO, ref: 'refs/tags/v1', commit: '0123456789abcdef0123456789abcdef01234567' },
          signer: { kind: 'key' },
        },
      ],
    });
    expect(h.events.at(-1)).toMatch(
      /^Admitted: provenance: built by https:\/\/github\.com\/actions\/runner\/github-hosted from https:\/\/github\.com\/acme\/hello@refs\/tags\/v1 \(0123456789ab\), signed by key sha256:[0-9a-f]{64}$/,
    );
    const again = await h.provide(c.ref);
    expect(again.record.attestations).toMatchObject({
      fromCache: true,
      provenance: [{ builder_id: expect.any(String) as unknown }],
    });
  });

  it('an unattested component under require_provenance is PROVENANCE_MISSING, and nothing of it stays cached', async () => {
    const c = await push('unattested');
    trusted.sign(c.image);
    const h = await providerHarness({
      signatures: keyed(),
      policy: policy({ mode: 'enforce', requireProvenance: true }),
    });
    const err = await driverRejection(h.provide(c.ref));
    expect(err.code).toBe('PROVENANCE_MISSING');
    expect(err.message).toContain(`no verified SLSA provenance attestation for ${c.ref}`);
    expect(await h.cachedBlobs()).not.toContain(c.digest);
  });

  it('an attestation of another component, attached to this one, is ATTESTATION_INVALID naming both digests', async () => {
    const other = await push('attested/other');
    trusted.attest(other.image, 'slsaprovenance1', slsaProvenance(REPO, 'refs/tags/v1'));
    const [moved] = (await client.findSignatures(parseOciReference(other.ref), other.manifestDigest)).filter(
      (s) => s.kind === 'sigstore-bundle' && s.predicateType === SLSA,
    );
    if (moved?.kind !== 'sigstore-bundle') throw new Error('cosign attest left no provenance referrer');
    const c = await push('attested/moved');
    trusted.sign(c.image);
    const type = 'application/vnd.dev.sigstore.bundle.v0.3+json';
    await client.pushReferrer(parseOciReference(c.ref), c.manifestDigest, type, moved.bundleJson, type, {
      annotations: { 'dev.sigstore.bundle.predicateType': SLSA },
    });
    const required = await providerHarness({
      signatures: keyed(),
      policy: policy({ mode: 'enforce', requireProvenance: true }),
    });
    const err = await driverRejection(required.provide(c.ref));
    expect(err.code).toBe('ATTESTATION_INVALID');
    expect(err.message).toContain(
      `its in-toto subject sha256:${other.manifestDigest.slice(7)} is not this component (manifest ${c.manifestDigest}`,
    );
    // Under an enforcing signature policy a forged provenance refuses the start even when none is required,
    // whenever the node reads attestations (here: for its Rego policy).
    const enforcing = await providerHarness({
      signatures: keyed(),
      policy: policy({ mode: 'enforce', bundle: exampleBundle }),
    });
    expect((await driverRejection(enforcing.provide(c.ref))).code).toBe('ATTESTATION_INVALID');
  });

  it('provenance signed by a key the node does not trust is ATTESTATION_SIGNER_NOT_TRUSTED when required, listed otherwise', async () => {
    const c = await push('attested/stranger');
    trusted.sign(c.image);
    stranger.attest(c.image, 'slsaprovenance1', slsaProvenance(REPO, 'refs/tags/v1'));
    const required = await providerHarness({
      signatures: keyed(),
      policy: policy({ mode: 'enforce', requireProvenance: true }),
    });
    const err = await driverRejection(required.provide(c.ref));
    expect(err.code).toBe('ATTESTATION_SIGNER_NOT_TRUSTED');
    expect(err.message).toMatch(/signed by key .*; the policy expects accepted keys/);
    // A third party may attest too: without a requirement the start goes on, and the event says what was not accepted.
    const h = await providerHarness({
      signatures: keyed(),
      policy: policy({ mode: 'enforce', bundle: exampleBundle }),
    });
    const started = await h.provide(c.ref);
    expect(started.record.attestations.rejected).toEqual([
      {
        predicate_type: SLSA,
        code: 'ATTESTATION_SIGNER_NOT_TRUSTED',
        message: expect.stringContaining('attestation') as unknown,
      },
    ]);
    expect(
      h.events.some((e) =>
        e.startsWith(`WARNING: attestation not accepted (${SLSA}): [ATTESTATION_SIGNER_NOT_TRUSTED]`),
      ),
    ).toBe(true);
  });

  it('require_sbom admits a CycloneDX SBOM written by nomad-wasm sbom and attested with cosign; SPDX too', async () => {
    const c = await push('attested/sbom');
    trusted.sign(c.image);
    const cdx = join(work, 'sbom.cdx.json');
    const spdx = join(work, 'sbom.spdx.json');
    expect((await nomadWasm(['sbom', c.ref, '--insecure', '--output', cdx])).code).toBe(0);
    expect((await nomadWasm(['sbom', c.ref, '--insecure', '--format', 'spdx', '--output', spdx])).code).toBe(0);
    const none = await providerHarness({ signatures: keyed(), policy: policy({ mode: 'enforce', requireSbom: true }) });
    expect((await driverRejection(none.provide(c.ref))).code).toBe('SBOM_MISSING');
    trusted.attest(c.image, 'cyclonedx', readFileSync(cdx, 'utf8'));
    trusted.attest(c.image, 'spdxjson', readFileSync(spdx, 'utf8'));
    const h = await providerHarness({ signatures: keyed(), policy: policy({ mode: 'enforce', requireSbom: true }) });
    const started = await h.provide(c.ref);
    const formats = started.record.attestations.sbom.map((s) => s.format).sort();
    expect(formats).toEqual(['cyclonedx', 'spdx']);
    expect(started.record.attestations.sbom.every((s) => s.components.some((x) => x.name === 'core module #2'))).toBe(
      true,
    );
    expect(h.events.at(-1)).toMatch(/^Admitted: SBOM \((cyclonedx|spdx)\): \d+ components, signed by key sha256:/);
  });
});

describe('a registry without the referrers API (Distribution 2.8, Debian docker-registry)', () => {
  it('reads provenance cosign attached through the referrers tag fallback (sha256-<hex>)', async () => {
    const distribution = await startRegistry();
    const own = new OciClient();
    try {
      const name = Buffer.from('fallback');
      const bytes = Buffer.concat([hello, Buffer.from([0, name.length + 1, name.length]), name]);
      const pushed = await own.pushComponent(parseOciReference(`oci://${distribution.host}/fallback/hello:1`), bytes);
      const image = `${distribution.host}/fallback/hello@${pushed.manifestDigest}`;
      trusted.attest(image, 'slsaprovenance1', slsaProvenance(REPO, 'refs/tags/v2'));
      const h = await providerHarness({
        signatures: keyed('off'),
        policy: policy({ mode: 'enforce', requireProvenance: true }),
      });
      const started = await h.provide(`oci://${image}`);
      expect(started.record.attestations.provenance).toEqual([
        expect.objectContaining({ source: expect.objectContaining({ ref: 'refs/tags/v2' }) as unknown }),
      ]);
    } finally {
      own.close();
      await distribution.stop();
    }
  });
});

describe('Rego policies on the start path (the example policies, compiled by OPA)', () => {
  it('prod: admits an attested component, and the input it saw conforms to the schema and names it by digest', async () => {
    const c = await push('policy/admitted');
    trusted.sign(c.image);
    trusted.attest(c.image, 'slsaprovenance1', slsaProvenance(REPO, 'refs/tags/v1'));
    const h = await providerHarness({
      signatures: keyed(),
      policy: policy({ mode: 'enforce', bundle: exampleBundle }),
    });
    const started = await h.provide(
      c.ref,
      { allowHttp: [{ host: 'api.example.com', port: undefined, wildcard: false }] },
      'prod',
    );
    expect(started.record.policy).toMatchObject({
      outcome: 'admitted',
      evaluation: { allowed: true, deny: [], mode: 'enforce' },
    });
    const [input] = h.inputs;
    expect(schemaErrors(input)).toEqual([]);
    expect(input).toMatchObject({
      namespace: 'prod',
      component: { digest: c.digest, manifest_digest: c.manifestDigest, world: 'command', source: 'oci' },
      grants: { allow_http: ['api.example.com'], memory_max_mb: 64, sockets: false },
      signature: { status: 'verified', signer: { kind: 'key' } },
      provenance: [{ builder_id: 'https://github.com/actions/runner/github-hosted' }],
      drift: { status: 'unavailable' },
    });
    expect(started.record.policy?.inputDigest).toBe(digestOfJson(input));
    const logged = readFileSync(join(h.cacheDir, 'policy', 'decisions.log'), 'utf8')
      .trim()
      .split('\n');
    expect(logged.map((l) => JSON.parse(l) as unknown)).toEqual([
      expect.objectContaining({
        outcome: 'admitted',
        input_digest: digestOfJson(input),
        component_digest: c.digest,
        namespace: 'prod',
      }),
    ]);
  });

  it('prod: denies an unlisted host and missing provenance with POLICY_DENIED, every reason in the message', async () => {
    const c = await push('policy/denied');
    trusted.sign(c.image);
    const h = await providerHarness({
      signatures: keyed(),
      policy: policy({ mode: 'enforce', bundle: exampleBundle }),
    });
    const err = await driverRejection(
      h.provide(c.ref, { allowHttp: [{ host: 'evil.example.net', port: undefined, wildcard: false }] }, 'prod'),
    );
    expect(err.code).toBe('POLICY_DENIED');
    expect(err.message).toContain('denied by policy wasm/admission/decision:');
    expect(err.message).toContain(
      '[HOST_NOT_LISTED] allow_http lists evil.example.net, which namespace prod does not allow',
    );
    expect(err.message).toContain(
      '[PROVENANCE_REQUIRED] namespace prod runs only components with verified SLSA provenance',
    );
    expect(err.message).toMatch(/\(decision [0-9a-f-]{36}, input sha256:[0-9a-f]{64}\)$/);
    const [line] = readFileSync(join(h.cacheDir, 'policy', 'decisions.log'), 'utf8')
      .trim()
      .split('\n');
    expect(JSON.parse(line ?? '{}')).toMatchObject({ outcome: 'denied', allowed: false, mode: 'enforce' });
    // A policy judges the task, not the bytes: the component stays cached for tasks it admits.
    expect(await h.cachedBlobs()).toContain(c.digest);
  });

  it('warn: the same denial lets the task run, with the reasons as events and "warned" in the decision log', async () => {
    const c = await push('policy/warned');
    trusted.sign(c.image);
    const h = await providerHarness({ signatures: keyed(), policy: policy({ mode: 'warn', bundle: exampleBundle }) });
    const started = await h.provide(c.ref, {}, 'prod');
    expect(started.record.policy?.outcome).toBe('warned');
    expect(h.events).toContainEqual(
      expect.stringMatching(/^WARNING: the policy would deny this task \(mode "warn"\): \[PROVENANCE_REQUIRED\]/),
    );
    expect(h.events.at(-1)).toMatch(
      /^Admitted: no provenance or SBOM attested; policy wasm\/admission\/decision let it run under warn/,
    );
    expect(JSON.parse(readFileSync(join(h.cacheDir, 'policy', 'decisions.log'), 'utf8'))).toMatchObject({
      outcome: 'warned',
    });
  });

  it('a policy that fails during evaluation denies under enforce (fail closed) with POLICY_EVALUATION_FAILED', async () => {
    const c = await push('policy/broken');
    const broken = join(work, 'broken.tar.gz');
    writeFileSync(
      broken,
      buildBundle(
        {
          'p.rego':
            'package b\nimport rego.v1\ndecision := {"deny": []}\ndecision := {"deny": ["x"]} if input.namespace == "default"\n',
        },
        ['b/decision'],
      ),
    );
    const h = await providerHarness({ policy: policy({ mode: 'enforce', bundle: broken, query: 'b/decision' }) });
    const err = await driverRejection(h.provide(c.ref));
    expect(err.code).toBe('POLICY_EVALUATION_FAILED');
    expect(err.message).toContain('could not be evaluated');
    expect(err.message).toContain('denied under enforce');
  });
});
