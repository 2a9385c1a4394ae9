// Acceptance tests of the nomadwasm provider, with OpenTofu (built from its
// Go module) against a real Nomad 1.6.3 agent whose wasm plugin enforces
// signatures in the test namespace, and components in a real OCI registry
// signed with a key made at test time: create, update (grant added, digest
// changed), drift by hand, import, bad input failing at plan, destroy.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NomadAgent } from '../e2e/support/nomad-agent.ts';
import { allocationHttpPort, NomadHttp } from './support/nomad-http.ts';
import { mustRun, mplTerraformOnPath, openTofu, run, workingCopy, writeVars, type IacCli } from './support/opentofu.ts';
import { startComponentRegistry, type ComponentRegistry, type PushedComponent } from './support/signed-components.ts';
import { cpSync } from 'node:fs';

const FIXTURE = new URL('./fixtures/acceptance/', import.meta.url).pathname;
const NAMESPACE = 'acc';
const JOB = 'acc-hello';

const clis: IacCli[] = [openTofu()];
const terraform = mplTerraformOnPath();
if (terraform) clis.push(terraform);

let registry: ComponentRegistry;
let agent: NomadAgent;
let nomad: NomadHttp;
let v1: PushedComponent;
let v2: PushedComponent;
let unsigned: PushedComponent;

beforeAll(async () => {
  registry = await startComponentRegistry();
  v1 = await registry.push('acc/hello', 'v1', 'hello-http', { variant: 'v1' });
  v2 = await registry.push('acc/hello', 'v2', 'hello-http', { variant: 'v2' });
  unsigned = await registry.push('acc/hello', 'unsigned', 'hello-http', { variant: 'unsigned', signed: false });
  const keyFile = join(mkdtempSync(join(tmpdir(), 'acc-keys-')), 'cosign.pub');
  writeFileSync(keyFile, registry.key.publicPem);
  agent = await NomadAgent.start({
    wasmPluginConfig: `
    signatures {
      mode        = "warn"
      public_keys = ["${keyFile}"]
      namespace "${NAMESPACE}" {
        mode = "enforce"
      }
    }`,
  });
  nomad = new NomadHttp(`http://127.0.0.1:${agent.ports.http}`);
}, 300_000);

afterAll(async () => {
  await agent?.destroy();
  await registry?.registry.stop();
});

for (const cli of clis) {
  describe.sequential(
    `nomadwasm provider with ${cli.name} ${cli.version} against Nomad 1.6.3`,
    { timeout: 400_000 },
    () => {
      let dir: string;
      let removeWork: () => void;
      let planAfterGrant = '';
      const vars = (extra: Record<string, unknown> = {}): string[] => [
        `-var-file=${writeVars(dir, 'acc', { nomad_address: nomad.address, public_key: registry.key.publicPem, component: v1.tagRef, ...extra })}`,
      ];

      beforeAll(async () => {
        const work = workingCopy();
        removeWork = work.remove;
        dir = join(work.root, 'acceptance');
        cpSync(FIXTURE, dir, { recursive: true });
        await mustRun(cli, dir, ['init', '-no-color']);
      }, 120_000);
      afterAll(async () => {
        // Whatever happened above: leave nothing behind in Nomad.
        await run(cli, dir, ['destroy', '-auto-approve', '-no-color', ...vars()]);
        removeWork?.();
      }, 300_000);

      it('create: resolves the tag to a verified digest, submits the job, waits for a healthy deployment', async () => {
        await mustRun(cli, dir, [
          'apply',
          '-auto-approve',
          '-no-color',
          ...vars({ grants: { env: { GREETING: 'hi' } } }),
        ]);
        const outputs = JSON.parse((await mustRun(cli, dir, ['output', '-json'])).stdout) as Record<
          string,
          { value: unknown }
        >;
        expect(outputs.manifest_digest?.value).toBe(v1.manifestDigest);
        expect(outputs.signer_key_fingerprint?.value).toBe(registry.key.fingerprintHex);
        expect(String(outputs.signer?.value)).toContain(`key sha256:${registry.key.fingerprintHex}`);
        expect(outputs.grants_needed?.value).toContain('port');
        expect(outputs.deployment_status?.value).toBe('successful');

        const { status, body: job } = await nomad.job(JOB, NAMESPACE);
        expect(status).toBe(200);
        const task = job.TaskGroups[0]?.Tasks[0];
        expect(task?.Driver).toBe('wasm');
        expect(task?.Config.component).toBe(`oci://${registry.registry.host}/acc/hello@${v1.manifestDigest}`);
        // Nomad keeps a JSON-submitted map attribute as a one-element list of maps.
        expect(task?.Config.env).toEqual([{ GREETING: 'hi' }]);
        expect(task?.Config.allow_http).toBeUndefined();
        const allocs = (await nomad.allocations(JOB, NAMESPACE)).filter((a) => a.ClientStatus === 'running');
        expect(allocs).toHaveLength(1);
        const port = await allocationHttpPort(nomad, allocs[0]?.ID ?? '', NAMESPACE);
        expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
        const services = await nomad.must<{ ServiceName: string }[]>(`/v1/service/${JOB}?namespace=${NAMESPACE}`);
        expect(services.map((s) => s.ServiceName)).toEqual([JOB]);
        const ns = await nomad.must<{ Description: string; Capabilities: { EnabledTaskDrivers: string[] } }>(
          `/v1/namespace/${NAMESPACE}`,
        );
        expect(ns.Capabilities.EnabledTaskDrivers).toEqual(['wasm']);
      });

      it('a plan after apply shows no changes', async () => {
        const plan = await run(cli, dir, [
          'plan',
          '-detailed-exitcode',
          '-no-color',
          ...vars({ grants: { env: { GREETING: 'hi' } } }),
        ]);
        expect(plan.stdout).toContain('No changes.');
        expect(plan.code).toBe(0);
      });

      it('update: an added grant is an in-place update that plan shows exactly, and apply rolls the service', async () => {
        const before = (await nomad.allocations(JOB, NAMESPACE)).find((a) => a.ClientStatus === 'running');
        const grants = { env: { GREETING: 'hi' }, allow_http: ['api.example.com'] };
        const plan = await run(cli, dir, ['plan', '-detailed-exitcode', '-no-color', ...vars({ grants })]);
        planAfterGrant = plan.stdout;
        console.log(`plan when a grant is added (${cli.name} ${cli.version}):\n${plan.stdout}`);
        expect(plan.code).toBe(2);
        expect(plan.stdout).toContain('# nomadwasm_service.app will be updated in-place');
        expect(plan.stdout).toMatch(/~ grants \{/);
        expect(plan.stdout).toMatch(/\+ allow_http = \[\s*\+ "api\.example\.com",?\s*\]/);
        expect(plan.stdout).toContain('Plan: 0 to add, 1 to change, 0 to destroy.');
        expect(plan.stdout).not.toMatch(/must be replaced/);

        await mustRun(cli, dir, ['apply', '-auto-approve', '-no-color', ...vars({ grants })]);
        const { body: job } = await nomad.job(JOB, NAMESPACE);
        expect(job.Version).toBe(1);
        expect(job.TaskGroups[0]?.Tasks[0]?.Config.allow_http).toEqual(['api.example.com']);
        const running = (await nomad.allocations(JOB, NAMESPACE)).filter((a) => a.ClientStatus === 'running');
        expect(running.map((a) => a.JobVersion)).toEqual([1]);
        expect(running[0]?.ID).not.toBe(before?.ID);
      });

      it('update: a new digest rolls the service onto the new component', async () => {
        const grants = { env: { GREETING: 'hi' }, allow_http: ['api.example.com'] };
        const plan = await run(cli, dir, ['plan', '-no-color', ...vars({ grants, component: v2.tagRef })]);
        expect(plan.stdout).toMatch(
          new RegExp(`~ component\\s+= "oci://[^"]+@${v1.manifestDigest}" -> "oci://[^"]+@${v2.manifestDigest}"`),
        );
        await mustRun(cli, dir, ['apply', '-auto-approve', '-no-color', ...vars({ grants, component: v2.tagRef })]);
        const { body: job } = await nomad.job(JOB, NAMESPACE);
        expect(job.TaskGroups[0]?.Tasks[0]?.Config.component).toBe(
          `oci://${registry.registry.host}/acc/hello@${v2.manifestDigest}`,
        );
        const running = (await nomad.allocations(JOB, NAMESPACE)).filter((a) => a.ClientStatus === 'running');
        expect(running.map((a) => a.JobVersion)).toEqual([2]);
      });

      it('drift: a grant added to the job by hand shows in plan, and apply puts the declared one back', async () => {
        const grants = { env: { GREETING: 'hi' }, allow_http: ['api.example.com'] };
        const { body: job } = await nomad.job(JOB, NAMESPACE);
        const task = job.TaskGroups[0]?.Tasks[0];
        if (!task) throw new Error('job has no task');
        task.Config.allow_http = ['api.example.com', 'exfil.example.net'];
        await nomad.post(`/v1/job/${JOB}?namespace=${NAMESPACE}`, { Job: job });
        const plan = await run(cli, dir, [
          'plan',
          '-detailed-exitcode',
          '-no-color',
          ...vars({ grants, component: v2.tagRef }),
        ]);
        expect(plan.code).toBe(2);
        expect(plan.stdout).toMatch(/- "exfil\.example\.net"/);
        await mustRun(cli, dir, ['apply', '-auto-approve', '-no-color', ...vars({ grants, component: v2.tagRef })]);
        const { body: after } = await nomad.job(JOB, NAMESPACE);
        expect(after.TaskGroups[0]?.Tasks[0]?.Config.allow_http).toEqual(['api.example.com']);
      });

      it('import: a service and namespace removed from state come back by import with no diff', async () => {
        const grants = { env: { GREETING: 'hi' }, allow_http: ['api.example.com'] };
        await mustRun(cli, dir, ['state', 'rm', 'nomadwasm_service.app', 'nomadwasm_namespace.acc']);
        await mustRun(cli, dir, [
          'import',
          '-no-color',
          ...vars({ grants, component: v2.tagRef }),
          'nomadwasm_namespace.acc',
          NAMESPACE,
        ]);
        await mustRun(cli, dir, [
          'import',
          '-no-color',
          ...vars({ grants, component: v2.tagRef }),
          'nomadwasm_service.app',
          `${JOB}@${NAMESPACE}`,
        ]);
        const plan = await run(cli, dir, [
          'plan',
          '-detailed-exitcode',
          '-no-color',
          ...vars({ grants, component: v2.tagRef }),
        ]);
        expect(plan.stdout).toContain('No changes.');
        expect(plan.code).toBe(0);
      });

      it('bad input: an unsigned component under enforce fails the plan, naming the data source and its reference', async () => {
        const plan = await run(cli, dir, ['plan', '-no-color', ...vars({ component: unsigned.tagRef })]);
        expect(plan.code).toBe(1);
        expect(plan.stderr).toContain('The component does not verify under the signature policy');
        expect(plan.stderr).toMatch(/with data\.nomadwasm_component\.app/);
        expect(plan.stderr).toMatch(/reference\s+= var\.component/);
        expect(plan.stderr).toContain('[SIGNATURE_MISSING]');
        // Nothing was submitted: the running job still has the last good digest.
        const { body: job } = await nomad.job(JOB, NAMESPACE);
        expect(job.TaskGroups[0]?.Tasks[0]?.Config.component).toContain(v2.manifestDigest);
      });

      it('bad input: an unknown grant and a malformed allow_http entry fail the plan with the attribute named', async () => {
        const badDir = join(dir, '..', 'bad-grant');
        cpSync(join(dir, '.terraform'), join(badDir, '.terraform'), { recursive: true, verbatimSymlinks: true });
        cpSync(join(dir, '.terraform.lock.hcl'), join(badDir, '.terraform.lock.hcl'));
        const config = (grants: string): string => `
terraform {
  required_providers {
    nomadwasm = { source = "nomad-driver-wasm.local/nomad-driver-wasm/nomadwasm" }
  }
}
provider "nomadwasm" {
  address = "${nomad.address}"
}
resource "nomadwasm_service" "bad" {
  name      = "acc-bad"
  component = "oci://${registry.registry.host}/acc/hello@${v1.manifestDigest}"
  grants {
    ${grants}
  }
}
`;
        writeFileSync(join(badDir, 'main.tf'), config('sockets = ["0.0.0.0:80"]'));
        const unknown = await run(cli, badDir, ['plan', '-no-color']);
        console.log(`plan with an unknown grant:\n${unknown.stderr}`);
        expect(unknown.code).toBe(1);
        expect(unknown.stderr).toContain('Unsupported argument');
        expect(unknown.stderr).toContain('An argument named "sockets" is not expected here.');
        expect(unknown.stderr).toMatch(/in resource "nomadwasm_service" "bad"/);

        writeFileSync(join(badDir, 'main.tf'), config('allow_http = ["https://api.example.com/v1"]'));
        const malformed = await run(cli, badDir, ['plan', '-no-color']);
        console.log(`plan with a malformed allow_http entry:\n${malformed.stderr}`);
        expect(malformed.code).toBe(1);
        expect(malformed.stderr).toContain('grants.allow_http[0]');
        expect(malformed.stderr).toContain('must be host, host:port or *.domain[:port]');
        // Nothing reached Nomad.
        expect((await nomad.job('acc-bad', 'default')).status).toBe(404);
      });

      it('key_value_stores: a service with Spin key-value stores reaches Nomad as the key_value_store blocks the driver decodes, reads back with no diff, and a token_secret typo fails the plan', async () => {
        const kvDir = join(dir, '..', 'key-value');
        cpSync(join(dir, '.terraform'), join(kvDir, '.terraform'), { recursive: true, verbatimSymlinks: true });
        cpSync(join(dir, '.terraform.lock.hcl'), join(kvDir, '.terraform.lock.hcl'));
        // The task need not reach Consul: the test is what Nomad stores, so no deployment wait.
        const config = (): string => `
terraform {
  required_providers {
    nomadwasm = { source = "nomad-driver-wasm.local/nomad-driver-wasm/nomadwasm" }
  }
}
provider "nomadwasm" {
  address = "${nomad.address}"
}
resource "nomadwasm_service" "kv" {
  name                = "acc-kv"
  component           = "oci://${registry.registry.host}/acc/hello@${v1.manifestDigest}"
  wait_for_deployment = false
  key_value_stores = {
    default = { consul_prefix = "apps/cart/default" }
    cache   = { consul_prefix = "/apps/cart/cache/" }
  }
}
`;
        // This agent has no Vault, which Nomad requires of a job with vault_policies: a store's
        // token_secret is checked at plan here (and rendered in the provider's Go tests).
        const withTokenSecret = (tokenSecret: string): string =>
          config()
            .replace(
              'wait_for_deployment = false',
              `wait_for_deployment = false
  secrets             = { consul = { path = "consul/creds/cart", field = "token" } }
  vault_policies      = ["cart"]`,
            )
            .replace(
              '{ consul_prefix = "apps/cart/default" }',
              `{ consul_prefix = "apps/cart/default", token_secret = "${tokenSecret}" }`,
            );
        try {
          writeFileSync(join(kvDir, 'main.tf'), config());
          await mustRun(cli, kvDir, ['apply', '-auto-approve', '-no-color']);
          const { status, body: job } = await nomad.job('acc-kv', 'default');
          expect(status).toBe(200);
          // What `nomad job run` keeps of two labelled key_value_store blocks, as of secret blocks.
          expect(job.TaskGroups[0]?.Tasks[0]?.Config.key_value_store).toEqual([
            { cache: [{ consul_prefix: '/apps/cart/cache/' }] },
            { default: [{ consul_prefix: 'apps/cart/default' }] },
          ]);
          const again = await run(cli, kvDir, ['plan', '-detailed-exitcode', '-no-color']);
          expect(again.stdout).toContain('No changes.');
          expect(again.code).toBe(0);

          writeFileSync(join(kvDir, 'main.tf'), withTokenSecret('consul'));
          const valid = await run(cli, kvDir, ['plan', '-no-color']);
          expect(valid.stderr).toBe('');
          expect(valid.stdout).toMatch(/\+ token_secret\s+= "consul"/);

          // Nomad refuses vault_policies without Vault: the error is Nomad's, and the state keeps the
          // job Nomad kept, so the next plan shows the same change again.
          const refused = await run(cli, kvDir, ['apply', '-auto-approve', '-no-color']);
          expect(refused.code).toBe(1);
          expect(refused.stderr).toContain('Nomad refused the job');
          expect(refused.stderr.replace(/\s+/g, ' ')).toContain('Vault not enabled but used in the job');
          expect(refused.stderr).not.toContain('invalid result object');
          const unchanged = await run(cli, kvDir, ['plan', '-no-color']);
          expect(unchanged.stdout).toMatch(/\+ token_secret\s+= "consul"/);
          expect((await nomad.job('acc-kv', 'default')).body.Version).toBe(0);

          writeFileSync(join(kvDir, 'main.tf'), withTokenSecret('consl'));
          const typo = await run(cli, kvDir, ['plan', '-no-color']);
          console.log(`plan with a token_secret typo:\n${typo.stderr}`);
          expect(typo.code).toBe(1);
          // tofu wraps long messages: compare with whitespace folded.
          expect(typo.stderr.replace(/\s+/g, ' ')).toContain(
            'key_value_stores["default"].token_secret: "consl" names no declared secret (secrets: consul)',
          );
          expect(typo.stderr).not.toContain('Secret never granted');
        } finally {
          writeFileSync(join(kvDir, 'main.tf'), config());
          await mustRun(cli, kvDir, ['destroy', '-auto-approve', '-no-color']);
        }
        expect((await nomad.job('acc-kv', 'default')).status).toBe(404);
      });

      it('destroy: the job is purged, its tasks stopped and the namespace deleted', async () => {
        await mustRun(cli, dir, ['destroy', '-auto-approve', '-no-color', ...vars({ component: v2.tagRef })]);
        expect((await nomad.job(JOB, NAMESPACE)).status).toBe(404);
        expect((await nomad.get(`/v1/namespace/${NAMESPACE}`)).status).toBe(404);
        expect(planAfterGrant).not.toBe('');
      });
    },
  );
}
