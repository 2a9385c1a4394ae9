// Admission by policy on a real Nomad 1.6.3 agent: the example policies
// (policy/examples, compiled by the real OPA) and `require_provenance` in a
// `prod` namespace, components signed and attested by the real cosign in a
// registry with the OCI referrers API, the job's previous version asked of
// Nomad's own API (drift), reasons read back with `nomad alloc status`,
// broken policies refused when the agent loads the plugin, and the audit
// evidence page opened in headless Chromium.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OciClient } from '../../src/oci/client.js';
import { parseOciReference } from '../../src/oci/reference.js';
import { startReferrersRegistry, type ReferrersRegistry } from '../oci/support/referrers-registry.js';
import { Cosign, slsaProvenance } from '../policy/support/cosign.js';
import { schemaErrors } from '../policy/support/input-schema.js';
import { buildBundle } from '../policy/support/opa.js';
import { nomadWasm } from '../runtime/support/cli.js';
import { launchChromium } from './support/browser.js';
import { wasmJob, type WasmJobSpec } from './support/jobs.js';
import type { Allocation } from './support/nomad-api.js';
import { AgentStartError, NomadAgent, REPO_ROOT } from './support/nomad-agent.js';
import { nomadCli, nomadJobRun } from './support/nomad-cli.js';
import { useE2e } from './support/suite.js';

const REPO = 'https://github.com/acme/hello';
const SLSA = 'https://slsa.dev/provenance/v1';
const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const EXAMPLES = join(REPO_ROOT, 'policy/examples');
const work = mkdtempSync(join(tmpdir(), 'policy-e2e-'));
const decisionLog = join(work, 'decisions.log');

let registry: ReferrersRegistry | undefined;
let client: OciClient | undefined;
let trusted: Cosign | undefined;
let stranger: Cosign | undefined;
let browser: Browser | undefined;
/** Pushed components by name: `oci://host/repo@sha256:…`. */
const refs: Record<string, string> = {};

function exampleBundle(extraFiles: Record<string, string> = {}, capabilities = true): Buffer {
  const files = Object.fromEntries(
    ['decision.rego', 'network.rego', 'provenance.rego', 'licences.rego', 'memory.rego', 'drift.rego', 'data.json'].map(
      (f) => [f, readFileSync(join(EXAMPLES, f), 'utf8')],
    ),
  );
  return buildBundle({ ...files, ...extraFiles }, ['wasm/admission/decision'], { capabilities });
}

/** Pushes `base` plus a custom section named after the repository (distinct bytes, distinct digest). */
async function push(repo: string, base: Buffer): Promise<{ ref: string; image: string; manifestDigest: string }> {
  const name = Buffer.from(repo);
  const bytes = Buffer.concat([base, Buffer.from([0, name.length + 1, name.length]), name]);
  const pushed = await (client as OciClient).pushComponent(
    parseOciReference(`oci://${registry?.host}/${repo}:1`),
    bytes,
  );
  const image = `${registry?.host}/${repo}@${pushed.manifestDigest}`;
  refs[repo] = `oci://${image}`;
  return { ref: `oci://${image}`, image, manifestDigest: pushed.manifestDigest };
}

const context = useE2e(async () => {
  registry = await startReferrersRegistry();
  client = new OciClient();
  trusted = new Cosign();
  stranger = new Cosign();
  const command = await readFile(join(REPO_ROOT, '.cache/components/hello-command.wasm'));
  const http = await readFile(join(REPO_ROOT, '.cache/components/hello-http.wasm'));
  const provenance = slsaProvenance(REPO, 'refs/tags/v1');
  // Signed and attested (provenance; the service also an SBOM from nomad-wasm sbom).
  const hello = await push('prod/hello', command);
  trusted.sign(hello.image);
  trusted.attest(hello.image, 'slsaprovenance1', provenance);
  const web = await push('prod/web', http);
  trusted.sign(web.image);
  trusted.attest(web.image, 'slsaprovenance1', provenance);
  const sbom = join(work, 'web.cdx.json');
  const written = await nomadWasm(['sbom', web.ref, '--insecure', '--output', sbom]);
  if (written.code !== 0) throw new Error(`nomad-wasm sbom failed: ${written.stderr}`);
  trusted.attest(web.image, 'cyclonedx', readFileSync(sbom, 'utf8'));
  // Signed, never attested.
  trusted.sign((await push('prod/unattested', command)).image);
  // Signed; its provenance is prod/hello's, attached to it (another subject).
  const moved = await push('prod/moved', command);
  trusted.sign(moved.image);
  const [bundle] = (await client.findSignatures(parseOciReference(hello.ref), hello.manifestDigest)).filter(
    (s) => s.kind === 'sigstore-bundle' && s.predicateType === SLSA,
  );
  if (bundle?.kind !== 'sigstore-bundle') throw new Error('cosign attest left no provenance referrer');
  await client.pushReferrer(
    parseOciReference(moved.ref),
    moved.manifestDigest,
    BUNDLE_TYPE,
    bundle.bundleJson,
    BUNDLE_TYPE,
    {
      annotations: { 'dev.sigstore.bundle.predicateType': SLSA },
    },
  );
  // Signed by the trusted key, attested by a stranger's.
  const strangers = await push('prod/stranger', command);
  trusted.sign(strangers.image);
  stranger.attest(strangers.image, 'slsaprovenance1', provenance);

  const bundlePath = join(work, 'examples.tar.gz');
  writeFileSync(bundlePath, exampleBundle());
  writeFileSync(join(work, 'trusted.pub'), trusted.publicKeyPem);
  return {
    wasmPluginConfig: (ports: { http: number }) => `
    signatures {
      mode        = "warn"
      public_keys = ["${join(work, 'trusted.pub')}"]
      namespace "prod" {
        mode = "enforce"
      }
    }
    policy {
      bundle              = "${bundlePath}"
      decision_log        = "${decisionLog}"
      decision_log_inputs = true
      namespace "prod" {
        require_provenance = true
      }
    }
    nomad {
      address = "127.0.0.1:${ports.http}"
    }`,
  };
});

beforeAll(async () => {
  const created = await nomadCli(context().agent, ['namespace', 'apply', '-description', 'production', 'prod']);
  if (created.code !== 0) throw new Error(`nomad namespace apply failed: ${created.stderr}`);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  client?.close();
  await registry?.stop();
  trusted?.remove();
  stranger?.remove();
});

const api = (path: string): Promise<unknown> =>
  fetch(`${context().agent.api.address}${path}`).then(async (r) => {
    if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
    return r.json() as Promise<unknown>;
  });

/** `spec` as a job in `namespace`, submitted with `nomad job run`. */
async function runIn(namespace: string, spec: WasmJobSpec): Promise<void> {
  const hcl = wasmJob(spec, context().components.baseUrl).replace(
    `job "${spec.id}" {`,
    `job "${spec.id}" {\n  namespace = "${namespace}"`,
  );
  await nomadJobRun(context().agent, `${namespace}-${spec.id}`, hcl);
}

/** Waits for the newest allocation of a job whose version is `version` to satisfy `ready`. */
async function allocOf(
  namespace: string,
  job: string,
  version: number,
  ready: (a: Allocation) => boolean,
  what: string,
): Promise<Allocation> {
  const deadline = Date.now() + 120_000;
  let last: Allocation | undefined;
  while (Date.now() < deadline) {
    const allocs = (await api(`/v1/job/${job}/allocations?namespace=${namespace}`)) as (Allocation & {
      JobVersion: number;
    })[];
    const newest = allocs.filter((a) => a.JobVersion === version).sort((a, b) => b.CreateTime - a.CreateTime)[0];
    if (newest) {
      last = (await api(`/v1/allocation/${newest.ID}?namespace=${namespace}`)) as Allocation;
      if (ready(last)) return last;
    }
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last?.TaskStates ?? null)}`);
}

const dead = (a: Allocation): boolean => a.TaskStates?.['t']?.State === 'dead';
const running = (a: Allocation): boolean => a.TaskStates?.['t']?.State === 'running';
const events = (a: Allocation): string => (a.TaskStates?.['t']?.Events ?? []).map((e) => e.DisplayMessage).join('\n');

interface LoggedDecision {
  readonly job: string;
  readonly namespace: string;
  readonly outcome: string;
  readonly input_digest: string;
  readonly input?: Record<string, unknown>;
  readonly deny: readonly { code?: string; msg: string }[];
}
const decisions = (): LoggedDecision[] =>
  readFileSync(decisionLog, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as LoggedDecision);

async function allocStatus(namespace: string, allocId: string): Promise<string> {
  const status = await nomadCli(context().agent, ['alloc', 'status', '-namespace', namespace, allocId]);
  return `${status.stdout}${status.stderr}`;
}

const HOSTS = 'allow_http = ["api.example.com"]';

describe('the example policies in namespace prod (enforce, require_provenance)', () => {
  it('admits a signed component with trusted provenance; the decision log holds the input it judged', async () => {
    await runIn('prod', {
      id: 'hello',
      type: 'batch',
      component: 'hello-command',
      source: refs['prod/hello'],
      extraConfig: HOSTS,
    });
    const alloc = await allocOf('prod', 'hello', 0, dead, 'hello v0 to finish');
    expect(alloc.TaskStates?.['t']?.Failed).toBe(false);
    expect(events(alloc)).toMatch(
      /Admitted: provenance: built by https:\/\/github\.com\/actions\/runner\/github-hosted from https:\/\/github\.com\/acme\/hello@refs\/tags\/v1/,
    );
    const decision = decisions().find((d) => d.job === 'hello' && d.namespace === 'prod');
    expect(decision?.outcome).toBe('admitted');
    const input = decision?.input;
    expect(schemaErrors(input)).toEqual([]);
    expect(input).toMatchObject({
      namespace: 'prod',
      job: { id: 'hello', version: 0 },
      group: 'g',
      task: 't',
      grants: { allow_http: ['api.example.com'], memory_max_mb: 64 },
      signature: { mode: 'enforce', status: 'verified' },
      drift: { status: 'first-version' },
    });
    console.log(`policy input of a real start (job hello, version 0):\n${JSON.stringify(input, null, 2)}`);
  });

  it('denies version 1, which adds a host but is signed by the same key (drift from the Nomad API); nomad alloc status shows why', async () => {
    await runIn('prod', {
      id: 'hello',
      type: 'batch',
      component: 'hello-command',
      source: refs['prod/hello'],
      extraConfig: 'allow_http = ["api.example.com", "payments.internal:8443"]',
    });
    const alloc = await allocOf('prod', 'hello', 1, dead, 'hello v1 to fail');
    expect(alloc.TaskStates?.['t']?.Failed).toBe(true);
    const status = await allocStatus('prod', alloc.ID);
    expect(status).toContain('[POLICY_DENIED] denied by policy wasm/admission/decision:');
    expect(status).toContain('[NEW_GRANT_SAME_SIGNER] version 1 adds allow_http payments.internal:8443');
    console.log(`nomad alloc status -namespace prod ${alloc.ID}:\n${status}`);
    const decision = decisions()
      .filter((d) => d.job === 'hello')
      .at(-1);
    expect(decision).toMatchObject({ outcome: 'denied' });
    expect(decision?.input).toMatchObject({
      job: { version: 1 },
      previous: { version: 0, grants: { allow_http: ['api.example.com'] }, signer: { kind: 'key' } },
      drift: { status: 'compared', added: { allow_http: ['payments.internal:8443'] } },
    });
  });

  it('denies a host the namespace does not list', async () => {
    await runIn('prod', {
      id: 'evil',
      type: 'batch',
      component: 'hello-command',
      source: refs['prod/hello'],
      extraConfig: 'allow_http = ["evil.example.net"]',
    });
    const alloc = await allocOf('prod', 'evil', 0, dead, 'evil to fail');
    expect(await allocStatus('prod', alloc.ID)).toContain(
      '[HOST_NOT_LISTED] allow_http lists evil.example.net, which namespace prod does not allow',
    );
  });

  it('require_provenance: an unattested component fails with PROVENANCE_MISSING', async () => {
    await runIn('prod', {
      id: 'unattested',
      type: 'batch',
      component: 'hello-command',
      source: refs['prod/unattested'],
    });
    const alloc = await allocOf('prod', 'unattested', 0, dead, 'unattested to fail');
    expect(alloc.TaskStates?.['t']?.Failed).toBe(true);
    expect(events(alloc)).toContain('[PROVENANCE_MISSING] no verified SLSA provenance attestation for');
  });

  it('a tampered attestation is refused with a code: another artifact’s subject, and an untrusted signer', async () => {
    await runIn('prod', { id: 'moved', type: 'batch', component: 'hello-command', source: refs['prod/moved'] });
    await runIn('prod', { id: 'stranger', type: 'batch', component: 'hello-command', source: refs['prod/stranger'] });
    const moved = await allocOf('prod', 'moved', 0, dead, 'moved to fail');
    expect(events(moved)).toMatch(
      /\[ATTESTATION_INVALID\] .*its in-toto subject sha256:[0-9a-f]{64} is not this component/,
    );
    const strangers = await allocOf('prod', 'stranger', 0, dead, 'stranger to fail');
    expect(events(strangers)).toMatch(
      /\[ATTESTATION_SIGNER_NOT_TRUSTED\] .*signed by key .*the policy expects accepted keys/,
    );
  });
});

describe('audit evidence', () => {
  it('nomad-wasm evidence lists the running Wasm tasks, their grants and controls; the HTML page shows them in Chromium', async () => {
    await runIn('prod', {
      id: 'web',
      type: 'service',
      component: 'hello-http',
      source: refs['prod/web'],
      port: true,
      extraConfig: HOSTS,
    });
    await runIn('default', {
      id: 'plain',
      type: 'service',
      component: 'hello-http',
      port: true,
      env: { GREETING: 'hi' },
    });
    await allocOf('prod', 'web', 0, running, 'web to run');
    await allocOf('default', 'plain', 0, running, 'plain to run');
    const json = join(work, 'evidence.json');
    const html = join(work, 'evidence.html');
    const cli = await nomadWasm([
      'evidence',
      '--address',
      context().agent.api.address,
      '--output',
      json,
      '--html',
      html,
    ]);
    expect(cli.stderr).toContain('evidence of 2 running Wasm task(s)');
    const evidence = JSON.parse(readFileSync(json, 'utf8')) as { tasks: Record<string, unknown>[] };
    const web = evidence.tasks.find((t) => t['job'] === 'web');
    expect(web).toMatchObject({
      namespace: 'prod',
      grants: { allow_http: ['api.example.com'], sockets: false },
      signer: { kind: 'key' },
      provenance: [{ builder_id: 'https://github.com/actions/runner/github-hosted', source: { repository: REPO } }],
      sbom: [{ format: 'cyclonedx' }],
      policy: { outcome: 'admitted' },
    });
    expect(web?.['controls']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ framework: 'SOC 2', control: 'CC6.1', status: 'evidenced' }),
        expect.objectContaining({
          framework: 'HIPAA',
          control: '164.312(c)(1)',
          evidence: 'provenance',
          status: 'evidenced',
        }),
        expect.objectContaining({ framework: 'ISO 27001:2022', control: 'A.8.8', status: 'evidenced' }),
      ]),
    );
    const plain = evidence.tasks.find((t) => t['job'] === 'plain');
    expect(plain).toMatchObject({ namespace: 'default', grants: { env: ['GREETING'] } });

    browser = await launchChromium();
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${html}`);
    const webSection = page.locator('section[data-job="web"]');
    await webSection.waitFor();
    const webText = await webSection.innerText();
    expect(webText).toContain('prod / web / g / t');
    expect(webText).toMatch(/Outbound HTTP\s+api\.example\.com/);
    expect(webText).toMatch(
      /Provenance\s+built by https:\/\/github\.com\/actions\/runner\/github-hosted from https:\/\/github\.com\/acme\/hello/,
    );
    expect(webText).toMatch(/Policy decision\s+admitted/);
    expect(await page.locator('section[data-job="plain"]').innerText()).toMatch(/Environment\s+GREETING/);
    expect(await page.locator('#controls').innerText()).toMatch(/SOC 2\s+CC6\.6/);
    // Self-contained: the page loaded nothing but itself.
    expect(requests).toEqual([`file://${html}`]);
  });
});

describe('policies the plugin cannot use stop the agent when it loads the plugin', () => {
  const startWith = async (bundle: Buffer, name: string): Promise<string> => {
    const path = join(work, name);
    writeFileSync(path, bundle);
    const agent = await NomadAgent.start({ wasmPluginConfig: `policy {\n      bundle = "${path}"\n    }` }).catch(
      (err: unknown) => err,
    );
    if (agent instanceof NomadAgent) {
      await agent.destroy();
      throw new Error('the agent started with a policy the driver cannot use');
    }
    expect(agent).toBeInstanceOf(AgentStartError);
    return (agent as Error).message;
  };

  it('a policy calling a builtin the driver does not provide: refused, naming the builtin', async () => {
    const unsupported = exampleBundle(
      {
        'extra.rego':
          'package wasm.admission\nimport rego.v1\nwarn contains regex.replace(input.task, "t", "x") if input.task\n',
      },
      false,
    );
    const message = await startWith(unsupported, 'unsupported.tar.gz');
    expect(message).toContain('[POLICY_INVALID]');
    expect(message).toContain('calls a builtin this driver does not provide: regex.replace');
  }, 180_000);

  it('a broken policy file: refused, naming the file', async () => {
    const message = await startWith(Buffer.from('package wasm.admission\n'), 'broken.tar.gz');
    expect(message).toContain('[POLICY_INVALID]');
    expect(message).toMatch(/broken\.tar\.gz is neither a Wasm module nor an OPA bundle/);
  }, 180_000);
});
