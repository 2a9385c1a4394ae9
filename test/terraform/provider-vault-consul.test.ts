// The three Terraform parts joined with the driver's Vault and Consul work,
// for real: a Nomad 1.6.3 client rendered by the client module (the agent's
// vault and consul blocks, and the wasm plugin's own: Vault address, a
// least-privilege Consul token of the driver's), a real Vault 1.13.0 dev
// server (KV v2 and a PostgreSQL credential from the database engine), a
// real Consul 1.16.3 with ACLs on (default deny), and an environment from the
// environment module whose policy texts, read from `tofu plan`, are the
// only grants Vault and Consul hold for the driver. The provider's secrets /
// config_keys / allow_services reach Nomad as the task config the driver
// takes: a component reads its secrets, another calls a third by name; drift
// made by hand shows in plan; a grant added rolls the service and the old
// task revokes its lease; mistakes fail the plan with the attribute named.
import { randomUUID } from 'node:crypto';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsulAgent } from '../support/consul-agent.ts';
import { freePort } from '../support/ports.ts';
import { Postgres } from '../vault/support/postgres.ts';
import { enableDatabase, enableKv, liveLeases, nomadAgentVaultBlock, writeKv } from '../vault/support/vault-setup.ts';
import { VaultServer } from '../vault/support/vault-server.ts';
import { allocationHttpPort, NomadHttp, type Job } from './support/nomad-http.ts';
import { NomadServer } from './support/nomad-server.ts';
import { mplTerraformOnPath, mustRun, openTofu, run, workingCopy, writeVars, type IacCli } from './support/opentofu.ts';
import { RenderedClient } from './support/rendered-client.ts';
import { startComponentRegistry, type ComponentRegistry } from './support/signed-components.ts';

const NAMESPACE = 'dev';
const NODE_NAME = 'vault-consul-client';
const KV_API_KEY = `kv-api-key-${randomUUID()}`;
const DRIVER_CONSUL_TOKEN = randomUUID();
const AGENT_CONSUL_TOKEN = randomUUID();
/** What the Nomad agent's Consul token needs for itself; the environment's registration rules are added to it. */
const AGENT_BASE_RULES =
  'agent_prefix "" { policy = "read" }\nnode_prefix "" { policy = "write" }\nservice "nomad-client" { policy = "write" }';

const clis: IacCli[] = [openTofu()];
const terraform = mplTerraformOnPath();
if (terraform) clis.push(terraform);

let registry: ComponentRegistry;
let vault: VaultServer;
let postgres: Postgres;
let consul: ConsulAgent;
let server: NomadServer;
let client: RenderedClient;
let nomad: NomadHttp;
let refs: { config_http: string; service_probe: string };

/** Creates or replaces a Consul ACL policy, and the token holding it. */
async function consulPolicy(name: string, rules: string, token?: string): Promise<void> {
  const existing = await consul
    .api<{ ID: string } | undefined>('GET', `/v1/acl/policy/name/${name}`)
    .catch(() => undefined);
  if (existing) await consul.api('PUT', `/v1/acl/policy/${existing.ID}`, { Name: name, Rules: rules });
  else await consul.api('PUT', '/v1/acl/policy', { Name: name, Rules: rules });
  if (token)
    await consul.api('PUT', '/v1/acl/token', { SecretID: token, Description: name, Policies: [{ Name: name }] });
}

beforeAll(async () => {
  registry = await startComponentRegistry();
  const [configHttp, serviceProbe] = [
    await registry.push('tf/config-http', 'v1', 'config-http'),
    await registry.push('tf/service-probe', 'v1', 'service-probe'),
  ];
  refs = {
    config_http: `oci://${registry.registry.host}/tf/config-http@${configHttp.manifestDigest}`,
    service_probe: `oci://${registry.registry.host}/tf/service-probe@${serviceProbe.manifestDigest}`,
  };
  [vault, postgres, consul] = await Promise.all([
    VaultServer.start(),
    Postgres.start(),
    ConsulAgent.start({ acl: true }),
  ]);
  await enableKv(vault);
  await writeKv(vault, 'dev/api', { api_key: KV_API_KEY });
  await enableDatabase(vault, postgres, [{ name: 'app', ttlSec: 8, maxTtlSec: 3600 }]);
  // Until the environment's policy texts are known (from its plan), the
  // driver's token may read nothing and the agent's only register itself.
  await consulPolicy('wasm-driver', 'service_prefix "" { policy = "deny" }', DRIVER_CONSUL_TOKEN);
  await consulPolicy('nomad-agent', AGENT_BASE_RULES, AGENT_CONSUL_TOKEN);

  server = await NomadServer.start({
    extraConfig: await nomadAgentVaultBlock(vault),
  });
  nomad = new NomadHttp(server.address);
  events.start();

  // The node, from the client module.
  const tofu = openTofu();
  const work = workingCopy();
  try {
    client = RenderedClient.prepare('vc-client-');
    const dir = join(work.root, 'vc-node');
    cpSync(new URL('./fixtures/vault-consul/node/', import.meta.url).pathname, dir, { recursive: true });
    const vars = writeVars(dir, 'node', {
      servers: [server.rpcAddress],
      dirs: client.dirs,
      http_port: await freePort(),
      vault_address: vault.address,
      consul_address: consul.address,
      consul_agent_token: AGENT_CONSUL_TOKEN,
      driver_consul_token: DRIVER_CONSUL_TOKEN,
    });
    await mustRun(tofu, dir, ['init', '-no-color']);
    await mustRun(tofu, dir, ['apply', '-auto-approve', '-no-color', `-var-file=${vars}`]);
    const hcl = (await mustRun(tofu, dir, ['output', '-raw', 'client_hcl'])).stdout;
    const plugin = hcl.slice(hcl.indexOf('plugin "wasm" {'));
    // The driver's Vault address is the agent's; its Consul token is its own, never the agent's.
    expect(plugin).toContain(`vault {\n      address = "${vault.address}"`);
    expect(plugin).toContain(`token = "${DRIVER_CONSUL_TOKEN}"`);
    expect(plugin).not.toContain(AGENT_CONSUL_TOKEN);
    await client.start(hcl, nomad, NODE_NAME);
  } finally {
    work.remove();
  }
}, 600_000);

afterAll(async () => {
  events.stop();
  await client?.destroy();
  await server?.destroy();
  await consul?.destroy();
  await vault?.destroy();
  postgres?.stop();
  await registry?.registry.stop();
}, 120_000);

interface TaskEvent {
  readonly Type: string;
  readonly DisplayMessage: string;
}
interface Allocation {
  readonly ID: string;
  readonly ClientStatus: string;
  readonly TaskStates?: Record<string, { State: string; Events: TaskEvent[] }>;
}

/**
 * Nomad keeps a task's last 10 events, and a start has more (pull, compile,
 * renewals): poll every allocation of the namespace while the test runs and
 * keep every event seen, per allocation, in order.
 */
class EventLog {
  private readonly byAlloc = new Map<string, string[]>();
  private timer: NodeJS.Timeout | undefined;

  start(): void {
    const poll = async (): Promise<void> => {
      const allocs = await nomad
        .must<(Allocation & { JobID: string })[]>(`/v1/allocations?namespace=${NAMESPACE}&task_states=true`)
        .catch(() => []);
      for (const alloc of allocs) {
        const seen = this.byAlloc.get(alloc.ID) ?? [];
        for (const message of eventsOf(alloc)) if (!seen.includes(message)) seen.push(message);
        this.byAlloc.set(alloc.ID, seen);
      }
      this.timer = setTimeout(() => void poll(), 300);
    };
    void poll();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  of(allocId: string): string[] {
    return this.byAlloc.get(allocId) ?? [];
  }
}
const events = new EventLog();

const allocation = (id: string): Promise<Allocation> =>
  nomad.must<Allocation>(`/v1/allocation/${id}?namespace=${NAMESPACE}`);
const eventsOf = (alloc: Allocation): string[] =>
  alloc.TaskStates?.component?.Events.map((e) => e.DisplayMessage) ?? [];

/** The one running allocation of a job, with its task running, and its HTTP base URL. */
async function running(job: string): Promise<{ id: string; url: string }> {
  return nomad.until(`${job} to run`, async () => {
    const live = (await nomad.allocations(job, NAMESPACE)).filter(
      (a) => a.ClientStatus === 'running' && a.DesiredStatus === 'run',
    );
    if (live.length !== 1 || !live[0]) return undefined;
    const alloc = await allocation(live[0].ID);
    if (alloc.TaskStates?.component?.State !== 'running') return undefined;
    return { id: alloc.ID, url: `http://127.0.0.1:${await allocationHttpPort(nomad, alloc.ID, NAMESPACE)}` };
  });
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  return { status: response.status, body: await response.text() };
}

const taskOf = (job: Job) => {
  const task = job.TaskGroups[0]?.Tasks[0];
  if (!task) throw new Error(`job ${job.ID} has no task`);
  return task as typeof task & { Vault?: { Policies: string[]; Env: boolean } };
};

for (const cli of clis) {
  describe.sequential(
    `secrets and allow_services with ${cli.name} ${cli.version}, Nomad 1.6.3, Vault 1.13.0, Consul 1.16.3`,
    { timeout: 600_000 },
    () => {
      let removeWork: () => void;
      let dir: string;
      let badDir: string;
      const vars = (extra: Record<string, unknown> = {}): string[] => [
        `-var-file=${writeVars(dir, 'env', {
          nomad_address: nomad.address,
          node_class: 'wasm-vc',
          ...refs,
          api_config_keys: ['kv', 'db.username'],
          frontend_allow_services: ['dev-backend'],
          ...extra,
        })}`,
      ];

      beforeAll(async () => {
        const work = workingCopy();
        removeWork = work.remove;
        dir = join(work.root, 'vc-env');
        badDir = join(work.root, 'vc-bad');
        cpSync(new URL('./fixtures/vault-consul/env/', import.meta.url).pathname, dir, { recursive: true });
        await mustRun(cli, dir, ['init', '-no-color']);
      }, 120_000);
      afterAll(async () => {
        await run(cli, dir, ['destroy', '-auto-approve', '-no-color', ...vars()]);
        removeWork?.();
      }, 300_000);

      it('plan knows the policy texts the services need; written to Vault and Consul, they are all the driver gets; apply deploys', async () => {
        await mustRun(cli, dir, ['plan', '-no-color', '-out=tfplan', ...vars()]);
        const plan = JSON.parse((await mustRun(cli, dir, ['show', '-json', 'tfplan'])).stdout) as {
          planned_values: { outputs: Record<string, { value?: unknown }> };
        };
        // The data source tells which grant fields each component's imports can use.
        expect(plan.planned_values.outputs.grants_needed?.value).toEqual({
          config_http: ['config_values', 'config_keys', 'port'],
          service_probe: ['env', 'mount', 'allow_http', 'allow_services', 'port'],
        });
        const output = (name: string): string => {
          const value = plan.planned_values.outputs[name]?.value;
          if (typeof value !== 'string')
            throw new Error(
              `output ${name} is not known at plan: ${JSON.stringify(plan.planned_values.outputs[name])}`,
            );
          return value;
        };
        const vaultPolicy = output('vault_policy');
        console.log(
          `vault_policy:\n${vaultPolicy}\nconsul_policy:\n${output('consul_policy')}\nconsul_registration_policy:\n${output('consul_registration_policy')}`,
        );
        expect(vaultPolicy).toContain('path "database/creds/app" {\n  capabilities = ["read"]\n}');
        expect(vaultPolicy).toContain('path "kv/data/dev/api" {\n  capabilities = ["read"]\n}');
        expect(vaultPolicy).toContain('path "sys/leases/renew" {\n  capabilities = ["update"]\n}');
        expect(vaultPolicy).toContain('path "sys/leases/revoke" {\n  capabilities = ["update"]\n}');
        expect(output('consul_policy')).toContain('service "dev-backend" {\n  policy = "read"\n}');
        expect(output('consul_registration_policy')).toContain('service "dev-backend" {\n  policy = "write"\n}');

        await vault.api('PUT', `sys/policies/acl/${output('vault_policy_name')}`, { policy: vaultPolicy });
        await consulPolicy('wasm-driver', output('consul_policy'));
        await consulPolicy('nomad-agent', `${AGENT_BASE_RULES}\n${output('consul_registration_policy')}`);

        await mustRun(cli, dir, ['apply', '-no-color', 'tfplan']);
        for (const job of ['dev-api', 'dev-backend', 'dev-frontend']) {
          const deployments = await nomad.must<{ Status: string }[]>(
            `/v1/job/${job}/deployments?namespace=${NAMESPACE}`,
          );
          expect(deployments[0]?.Status).toBe('successful');
        }
      });

      it('secrets: the task config is what `nomad job run` makes of secret blocks; the component sees exactly the granted keys', async () => {
        const { body: job } = await nomad.job('dev-api', NAMESPACE);
        const task = taskOf(job);
        expect(task.Config.secret).toEqual([
          { db: [{ path: 'database/creds/app' }] },
          { kv: [{ path: 'kv/data/dev/api', field: 'api_key' }] },
        ]);
        expect(task.Config.config_keys).toEqual(['kv', 'db.username']);
        expect(task.Config.config_values).toEqual([{ greeting: 'hello' }]);
        expect(task.Config.secret_env).toEqual([{ API_KEY: 'kv' }]);
        expect(task.Vault?.Policies).toEqual(['dev-wasm-services']);
        expect(task.Vault?.Env).toBe(false);

        const api = await running('dev-api');
        expect(await get(`${api.url}/get/kv`)).toEqual({ status: 200, body: KV_API_KEY });
        expect(await get(`${api.url}/get/greeting`)).toEqual({ status: 200, body: 'hello' });
        const username = await get(`${api.url}/get/db.username`);
        expect(username.status).toBe(200);
        expect(postgres.roleExists(username.body)).toBe(true);
        // Fetched, but not granted: deny by default.
        expect(await get(`${api.url}/get/db.password`)).toEqual({ status: 404, body: 'none' });
        // The 8 s lease is renewed with the policy's sys/leases/renew.
        await nomad.until(
          'a renewal of the database lease',
          async () =>
            events.of(api.id).some((e) => e.startsWith('Renewed Vault lease of secret "db"')) ? true : undefined,
          60_000,
        );
        const seen = events.of(api.id);
        expect(
          seen.some((e) => e.startsWith('Vault secrets ready: db (database/creds/app), kv (kv/data/dev/api)')),
        ).toBe(true);
        // The driver's audit line: the granted keys and the variable filled from a secret, names only.
        const grants = seen.find((e) => e.startsWith('Grants:')) ?? JSON.stringify(seen);
        expect(grants).toContain('config_keys=db.username,greeting,kv');
        expect(grants).toContain('secret_env=API_KEY');
        expect(grants).not.toContain(KV_API_KEY);
      });

      it('allow_services: frontend calls backend by name, looked up in Consul with the driver’s own token; other names are denied', async () => {
        const { body: job } = await nomad.job('dev-frontend', NAMESPACE);
        expect(taskOf(job).Config.allow_services).toEqual(['dev-backend']);
        const backend = await running('dev-backend');
        const health = await consul.api<
          { Service: { Port: number }; Checks: { Status: string; ServiceID: string }[] }[]
        >('GET', '/v1/health/service/dev-backend?passing');
        expect(health.map((entry) => entry.Service.Port)).toEqual([Number(new URL(backend.url).port)]);

        const frontend = await running('dev-frontend');
        const call = await nomad.until(
          'frontend to reach dev-backend.service.consul',
          async () => {
            const response = await get(`${frontend.url}/to/dev-backend.service.consul/`);
            return response.status === 200 ? response : undefined;
          },
          60_000,
        );
        expect(call.body).toBe('hello from backend\n');
        expect(await get(`${frontend.url}/to/dev-api.service.consul/`)).toEqual({
          status: 502,
          body: 'error HTTP-request-denied\n',
        });
        const frontendEvents = events.of(frontend.id);
        expect(frontendEvents.find((e) => e.startsWith('Grants:')) ?? JSON.stringify(frontendEvents)).toMatch(
          / services=dev-backend\.service\.consul$/,
        );
      });

      it('a plan after apply shows no changes: secrets, config_keys, config_values and allow_services read back as configured', async () => {
        const plan = await run(cli, dir, ['plan', '-detailed-exitcode', '-no-color', ...vars()]);
        expect(plan.stdout).toContain('No changes.');
        expect(plan.code).toBe(0);
      });

      it('import: services with secrets and service grants come back from Nomad alone; only provider-side settings differ', async () => {
        const api = 'module.env.nomadwasm_service.this["api"]';
        const frontend = 'module.env.nomadwasm_service.this["frontend"]';
        await mustRun(cli, dir, ['state', 'rm', api, frontend]);
        await mustRun(cli, dir, ['import', '-no-color', ...vars(), api, `dev-api@${NAMESPACE}`]);
        await mustRun(cli, dir, ['import', '-no-color', ...vars(), frontend, `dev-frontend@${NAMESPACE}`]);
        const state = JSON.parse((await mustRun(cli, dir, ['show', '-json'])).stdout) as {
          values: {
            root_module: { child_modules: { resources: { address: string; values: Record<string, unknown> }[] }[] };
          };
        };
        const imported = state.values.root_module.child_modules
          .flatMap((m) => m.resources)
          .find((r) => r.address === api)?.values;
        expect(imported?.secrets).toEqual({
          db: { path: 'database/creds/app', field: null, version: null },
          kv: { path: 'kv/data/dev/api', field: 'api_key', version: null },
        });
        expect(imported?.secret_env).toEqual({ API_KEY: 'kv' });
        // Nomad does not know how long apply waited (deployment_timeout = "3m" in the module): that is
        // all the plan changes, in place, keeping the job's version and deployment.
        const plan = await run(cli, dir, ['plan', '-detailed-exitcode', '-no-color', ...vars()]);
        expect(plan.code).toBe(2);
        const actions = plan.stdout.slice(plan.stdout.indexOf('will perform the following actions'));
        const changed = actions.split('\n').filter((line) => /^\s+[~+-] /.test(line) && !/^\s+~ resource /.test(line));
        expect(changed.map((line) => line.trim())).toEqual([
          '~ deployment_timeout  = "5m" -> "3m"',
          '~ deployment_timeout  = "5m" -> "3m"',
        ]);
        expect(plan.stdout).toContain('Plan: 0 to add, 2 to change, 0 to destroy.');
        const versions = await Promise.all(
          ['dev-api', 'dev-frontend'].map(async (job) => (await nomad.job(job, NAMESPACE)).body.Version),
        );
        await mustRun(cli, dir, ['apply', '-auto-approve', '-no-color', ...vars()]);
        expect(
          await Promise.all(
            ['dev-api', 'dev-frontend'].map(async (job) => (await nomad.job(job, NAMESPACE)).body.Version),
          ),
        ).toEqual(versions);
        const after = await run(cli, dir, ['plan', '-detailed-exitcode', '-no-color', ...vars()]);
        expect(after.stdout).toContain('No changes.');
        expect(after.code).toBe(0);
      });

      it('drift: a key, a secret version and a service grant added by hand show in plan, and apply puts the declared ones back', async () => {
        const { body: api } = await nomad.job('dev-api', NAMESPACE);
        const apiTask = taskOf(api);
        apiTask.Config.config_keys = ['kv', 'db.username', 'db.password'];
        apiTask.Config.secret = [
          { db: [{ path: 'database/creds/app' }] },
          { kv: [{ path: 'kv/data/dev/api', field: 'api_key', version: 1 }] },
        ];
        await nomad.post(`/v1/job/dev-api?namespace=${NAMESPACE}`, { Job: api });
        const { body: frontend } = await nomad.job('dev-frontend', NAMESPACE);
        taskOf(frontend).Config.allow_services = ['dev-backend', 'dev-api.service.nomad'];
        await nomad.post(`/v1/job/dev-frontend?namespace=${NAMESPACE}`, { Job: frontend });

        const plan = await run(cli, dir, ['plan', '-detailed-exitcode', '-no-color', ...vars()]);
        console.log(`plan after hand edits:\n${plan.stdout}`);
        expect(plan.code).toBe(2);
        expect(plan.stdout).toMatch(/~ config_keys\s+= \[[^\]]*- "db\.password",?/);
        expect(plan.stdout).toMatch(/- version = 1 -> null/);
        expect(plan.stdout).toMatch(/~ allow_services\s+= \[[^\]]*- "dev-api\.service\.nomad",?/);
        expect(plan.stdout).toContain('Plan: 0 to add, 2 to change, 0 to destroy.');

        await mustRun(cli, dir, ['apply', '-auto-approve', '-no-color', ...vars()]);
        const restored = taskOf((await nomad.job('dev-api', NAMESPACE)).body);
        expect(restored.Config.config_keys).toEqual(['kv', 'db.username']);
        expect(restored.Config.secret).toEqual([
          { db: [{ path: 'database/creds/app' }] },
          { kv: [{ path: 'kv/data/dev/api', field: 'api_key' }] },
        ]);
        expect(taskOf((await nomad.job('dev-frontend', NAMESPACE)).body).Config.allow_services).toEqual([
          'dev-backend',
        ]);
      });

      it('update: a key added to config_keys is an in-place update that rolls the service; the old task revokes its lease at stop', async () => {
        const before = await running('dev-api');
        const keys = ['kv', 'db.username', 'db.password'];
        const plan = await run(cli, dir, [
          'plan',
          '-detailed-exitcode',
          '-no-color',
          ...vars({ api_config_keys: keys }),
        ]);
        expect(plan.code).toBe(2);
        expect(plan.stdout).toContain('# module.env.nomadwasm_service.this["api"] will be updated in-place');
        expect(plan.stdout).toMatch(/~ config_keys\s+= \[[^\]]*\+ "db\.password",?/);
        expect(plan.stdout).toContain('Plan: 0 to add, 1 to change, 0 to destroy.');
        await mustRun(cli, dir, ['apply', '-auto-approve', '-no-color', ...vars({ api_config_keys: keys })]);

        const after = await running('dev-api');
        expect(after.id).not.toBe(before.id);
        const revoked = await nomad.until(
          'the old task to revoke its lease',
          async () => events.of(before.id).find((e) => e.startsWith('Revoked')),
          60_000,
        );
        expect(revoked).toBe('Revoked 1 Vault lease at stop (secrets: db)');
        const username = await get(`${after.url}/get/db.username`);
        const password = await get(`${after.url}/get/db.password`);
        expect(password.status).toBe(200);
        expect(postgres.canLogin(username.body, password.body)).toBe(true);
      });

      it('bad input: undeclared or malformed keys, secrets without a Vault policy and a malformed service grant fail the plan, attribute named', async () => {
        cpSync(join(dir, '.terraform'), join(badDir, '.terraform'), { recursive: true, verbatimSymlinks: true });
        cpSync(join(dir, '.terraform.lock.hcl'), join(badDir, '.terraform.lock.hcl'));
        const service = (name: string, body: string): string => `
resource "nomadwasm_service" "${name}" {
  name      = "bad-${name}"
  component = "${refs.config_http}"
  ${body}
}`;
        writeFileSync(
          join(badDir, 'main.tf'),
          `
terraform {
  required_providers {
    nomadwasm = { source = "nomad-driver-wasm.local/nomad-driver-wasm/nomadwasm" }
  }
}
provider "nomadwasm" {
  address = "${nomad.address}"
}
${service('undeclared', 'secrets = { db = { path = "database/creds/app" } }\n  vault_policies = ["p"]\n  config_keys = ["db.username", "dbx.password"]')}
${service('field', 'secrets = { kv = { path = "kv/data/dev/api", field = "api_key" } }\n  vault_policies = ["p"]\n  config_keys = ["kv.api_key"]')}
${service('ungranted', 'secrets = { db = { path = "database/creds/app" }, kv = { path = "kv/data/dev/api", field = "api_key" } }\n  vault_policies = ["p"]\n  config_keys = ["db.*"]')}
${service('nopolicy', 'secrets = { kv = { path = "kv/data/dev/api", field = "api_key" } }\n  config_keys = ["kv"]')}
${service('service', 'allow_services = ["http://dev-backend"]')}
`,
        );
        const plan = await run(cli, badDir, ['plan', '-no-color']);
        console.log(`plan with bad secrets and service grants:\n${plan.stderr}`);
        expect(plan.code).toBe(1);
        const diagnostics = plan.stderr.split(/\n(?=(?:│ )?Error: )/);
        // OpenTofu wraps the detail text: compare with whitespace collapsed.
        const of = (resource: string): string[] =>
          diagnostics
            .filter((d) => d.includes(`resource "nomadwasm_service" "${resource}"`))
            .map((d) => d.replace(/\s+/g, ' '));
        const about = (resource: string): string => of(resource).join('\n');
        expect(about('undeclared')).toContain('config_keys[1]: "dbx.password" names no declared secret (secrets: db)');
        expect(about('field')).toContain(
          'config_keys[0]: secret "kv" has field = "api_key", so its one key is "kv", not "kv.api_key"',
        );
        // One error for one mistake: the secret the malformed key meant is not also "never granted".
        expect(of('field')).toHaveLength(1);
        expect(about('ungranted')).toContain('secrets["kv"]: neither config_keys nor secret_env uses secret "kv"');
        expect(about('nopolicy')).toContain('vault_policies: a service with secrets needs vault_policies');
        expect(about('nopolicy')).toContain('VAULT_TOKEN_MISSING');
        expect(about('service')).toContain('Attribute allow_services[0] must be a service name');
        // Nothing reached Nomad.
        for (const name of ['undeclared', 'field', 'ungranted', 'nopolicy', 'service'])
          expect((await nomad.job(`bad-${name}`, 'default')).status).toBe(404);
      });

      it('destroy: the jobs are purged, the namespace deleted, and no database lease is left', async () => {
        await mustRun(cli, dir, [
          'destroy',
          '-auto-approve',
          '-no-color',
          ...vars({ api_config_keys: ['kv', 'db.username', 'db.password'] }),
        ]);
        for (const job of ['dev-api', 'dev-backend', 'dev-frontend'])
          expect((await nomad.job(job, NAMESPACE)).status).toBe(404);
        expect((await nomad.get(`/v1/namespace/${NAMESPACE}`)).status).toBe(404);
        await nomad.until(
          'no live database/creds/app lease',
          async () => ((await liveLeases(vault, 'app')).length === 0 ? true : undefined),
          30_000,
        );
        expect(await consul.api<unknown[]>('GET', '/v1/health/service/dev-backend')).toEqual([]);
      });
    },
  );
}
