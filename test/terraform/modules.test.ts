// The provider-free modules: their own `tofu test` files (the environment
// module's with the provider mocked from the real provider's schema), and
// the client module's rendered configuration loaded by a real Nomad 1.6.3
// client with this repository's wasm plugin: the node must come up with
// driver.wasm healthy, so Nomad and the driver both accepted every block.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { makeKey } from '../verify/support/key-signer.ts';
import { buildBundle } from '../policy/support/opa.ts';
import { NomadHttp } from './support/nomad-http.ts';
import { NomadServer } from './support/nomad-server.ts';
import { mustRun, openTofu, PROVIDER_SOURCE, run, workingCopy, writeVars, type IacCli } from './support/opentofu.ts';
import { RenderedClient } from './support/rendered-client.ts';

// `terraform test` only exists from Terraform 1.6 on, which is BUSL: the
// module test files run with OpenTofu alone (an MPL Terraform, < 1.6, runs
// the acceptance tests in provider-acceptance.test.ts).
const clis: IacCli[] = [openTofu()];

let work: { root: string; remove(): void };
beforeAll(() => {
  work = workingCopy();
});
afterAll(() => work?.remove());

for (const cli of clis) {
  describe(`module tests with ${cli.name} ${cli.version}`, () => {
    for (const module of ['nomad-wasm-client', 'wasm-environment']) {
      it(`${module}: tofu test passes`, async () => {
        const dir = join(work.root, 'modules', module);
        await mustRun(cli, dir, ['init', '-no-color']);
        const result = await run(cli, dir, ['test', '-no-color']);
        console.log(`${module} (${cli.name}): ${result.stdout.trim().split('\n').slice(-1)[0]}`);
        expect(result.stdout + result.stderr).toMatch(/Success! \d+ passed, 0 failed\./);
        expect(result.code).toBe(0);
      }, 180_000);
    }
  });
}

describe('the environment module names a misspelt attribute of `services`', () => {
  // A root configuration calling the module, planned for real: the message
  // (not only which input failed, as `tofu test` checks) must name the path.
  const tofu = openTofu();
  const component = `oci://registry.internal/apps/api@sha256:${'a'.repeat(64)}`;
  const cases: [string, string, string][] = [
    [
      'a grant',
      `{ api = { component = "${component}", grants = { alow_http = ["x.internal"] } } }`,
      'Unknown grant: services["api"].grants.alow_http.',
    ],
    [
      'a service attribute',
      `{ api = { component = "${component}", allow_service = ["payments"] } }`,
      'Unknown service attribute: services["api"].allow_service.',
    ],
    [
      'a mount',
      `{ api = { component = "${component}", grants = { mounts = [{ source = "local/www", dest = "/www" }] } } }`,
      'services["api"].grants.mounts[0] has ["dest","source"]',
    ],
    [
      'a secret',
      `{ api = { component = "${component}", secrets = { db = { path = "database/creds/api", feild = "password" } }, config_keys = ["db"] } }`,
      'services["api"].secrets["db"] has ["feild","path"]',
    ],
    [
      'a key-value store',
      `{ api = { component = "${component}", key_value_stores = { default = { consul_prefx = "apps/api" } } } }`,
      'services["api"].key_value_stores["default"] has ["consul_prefx"]',
    ],
    [
      'a key-value store prefix',
      `{ api = { component = "${component}", key_value_stores = { default = { consul_prefix = "apps//api" } } } }`,
      'Invalid key-value store: services["api"].key_value_stores["default"].',
    ],
  ];
  it.each(cases)(
    '%s: plan fails with the path in the message',
    async (_kind, services, message) => {
      const dir = join(work.root, `misspelt-${_kind.replaceAll(' ', '-')}`);
      mkdirSync(dir);
      writeFileSync(
        join(dir, 'main.tf'),
        `terraform {\n  required_providers {\n    nomadwasm = { source = "${PROVIDER_SOURCE}" }\n  }\n}\nprovider "nomadwasm" {\n  address = "http://127.0.0.1:1"\n}\nmodule "env" {\n  source   = "../modules/wasm-environment"\n  name     = "dev"\n  services = ${services}\n}\n`,
      );
      await mustRun(tofu, dir, ['init', '-no-color']);
      const plan = await run(tofu, dir, ['plan', '-no-color']);
      expect(plan.code).toBe(1);
      expect(plan.stderr).toContain('Invalid value for variable');
      // tofu wraps long messages: compare with whitespace folded.
      expect(plan.stderr.replace(/\s+/g, ' ')).toContain(message);
    },
    120_000,
  );
});

describe('the client module’s rendered HCL on a real Nomad 1.6.3 client', () => {
  let server: NomadServer;
  let client: RenderedClient | undefined;

  beforeAll(async () => {
    server = await NomadServer.start();
  }, 120_000);
  afterAll(async () => {
    await client?.destroy();
    await server?.destroy();
  }, 60_000);

  it("loads with driver.wasm healthy: signatures and admission policies with namespace rules, registries, ceilings, the agent's and the plugin's vault, consul and nomad blocks", async () => {
    const tofu = openTofu();
    client = RenderedClient.prepare();
    const { dir, dirs } = client;
    const key = makeKey();
    const keyFile = join(dir, 'cosign.pub');
    writeFileSync(keyFile, key.publicPem);
    const fixture = join(work.root, 'render-client');
    cpSync(new URL('./fixtures/render-client/', import.meta.url).pathname, fixture, { recursive: true });
    // A real CA certificate: the plugin reads the vault and consul ca_cert files when configured.
    const caFile = join(dir, 'ca.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=render-test-ca',
        '-keyout',
        join(dir, 'ca.key'),
        '-out',
        caFile,
      ],
      { stdio: 'ignore' },
    );
    // The example admission policies, compiled by the real OPA: the plugin loads them at SetConfig.
    const policyBundle = join(dir, 'policy.tar.gz');
    const examples = new URL('../../policy/examples/', import.meta.url).pathname;
    writeFileSync(
      policyBundle,
      buildBundle(
        Object.fromEntries(
          [
            'decision.rego',
            'network.rego',
            'provenance.rego',
            'licences.rego',
            'memory.rego',
            'drift.rego',
            'data.json',
          ].map((f) => [f, readFileSync(join(examples, f), 'utf8')]),
        ),
        ['wasm/admission/decision'],
      ),
    );
    const driverConsulToken = randomUUID();
    const httpPort = await freePort();
    const vars = writeVars(fixture, 'render', {
      servers: [server.rpcAddress],
      dirs,
      http_port: httpPort,
      key_file: keyFile,
      key_pem: key.publicPem,
      consul_address: `127.0.0.1:${await freePort()}`,
      ca_file: caFile,
      driver_consul_token: driverConsulToken,
      policy_bundle: policyBundle,
    });
    await mustRun(tofu, fixture, ['init', '-no-color']);
    await mustRun(tofu, fixture, ['apply', '-auto-approve', '-no-color', `-var-file=${vars}`]);
    const hcl = (await mustRun(tofu, fixture, ['output', '-raw', 'client_hcl'])).stdout;
    // The plugin's own blocks are there (the node coming up healthy then means the plugin decoded them).
    const pluginBlock = hcl.slice(hcl.indexOf('plugin "wasm" {'));
    expect(pluginBlock).toMatch(
      new RegExp(
        `\\n    vault \\{\\s+address = "http://127\\.0\\.0\\.1:1"\\s+ca_cert = "${caFile}"\\s+namespace = "team-a"`,
      ),
    );
    expect(pluginBlock).toMatch(
      new RegExp(
        `\\n    consul \\{\\s+address = "https://127\\.0\\.0\\.1:\\d+"\\s+token = "${driverConsulToken}"\\s+ca_cert = "${caFile}"`,
      ),
    );
    expect(pluginBlock).toContain(
      `    policy {\n      bundle = "${policyBundle}"\n      require_provenance  = false\n`,
    );
    expect(pluginBlock).toMatch(
      new RegExp(`\\n    nomad \\{\\s+address = "http://127\\.0\\.0\\.1:${httpPort}"\\s+token = "0{8}-`),
    );

    const nomad = new NomadHttp(server.address);
    const node = await client.start(hcl, nomad, 'rendered-client');
    const full = await nomad.must<{
      NodeClass: string;
      Meta: Record<string, string>;
      Drivers: Record<string, { Detected: boolean; Healthy: boolean }>;
    }>(`/v1/node/${node.ID}`);
    expect(full.NodeClass).toBe('mixed');
    expect(full.Meta.team).toBe('platform');
    expect(full.Drivers.wasm?.Healthy).toBe(true);
    expect(full.Drivers.raw_exec?.Healthy).toBe(true);
    expect(full.Drivers.docker?.Detected ?? false).toBe(false);
    // The plugin decoded the signatures and policy blocks and loaded the policies (SetConfig would have failed the agent otherwise).
    expect(client.log()).not.toMatch(/PLUGIN_CONFIG_INVALID|POLICY_INVALID/);
  }, 240_000);
});
