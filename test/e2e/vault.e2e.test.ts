// Vault secrets through `nomad job run` on a real Nomad 1.6.3 agent
// configured for Vault (legacy token derivation: server token + token role),
// a real Vault v1.13.0 (file storage, so it can be stopped and started again
// mid-run) and a real PostgreSQL behind Vault's database engine:
// - a wasi:http component answers with what wasi:config/store returns;
// - KV v2; a dynamic credential renewed at least twice, rotated after its
//   max TTL, revoked at stop (the role gone from pg_roles);
// - a task restart revokes the previous run's lease (Nomad keeps the token);
// - secrets survive a plugin restart and an agent restart;
// - Vault stopped mid-run; a wrong policy;
// - nothing on disk: every secret value and the task tokens, searched for
//   in everything the run wrote.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Postgres } from '../vault/support/postgres.ts';
import {
  enableDatabase,
  enableKv,
  nomadAgentVaultBlock,
  taskPolicy,
  writeKv,
  writePolicy,
} from '../vault/support/vault-setup.ts';
import { VaultServer } from '../vault/support/vault-server.ts';
import { isDead, isRunning, taskState } from './support/alloc-state.ts';
import type { Allocation, NomadApi } from './support/nomad-api.ts';
import { useE2e } from './support/suite.ts';
import { isAlive, pluginPids, taskHostPids } from './support/task-hosts.ts';

let vault: VaultServer;
let postgres: Postgres;
const KV_API_KEY = `kv-secret-${process.hrtime.bigint()}`;

beforeAll(async () => {
  [vault, postgres] = await Promise.all([VaultServer.start({ persistent: true }), Postgres.start()]);
  await enableKv(vault);
  await writeKv(vault, 'app', { api_key: KV_API_KEY });
  await enableDatabase(vault, postgres, [
    { name: 'short', ttlSec: 8, maxTtlSec: 24 },
    { name: 'steady', ttlSec: 6, maxTtlSec: 3600 },
    { name: 'long', ttlSec: 600, maxTtlSec: 3600 },
  ]);
  await writePolicy(
    vault,
    'app',
    taskPolicy(['kv/data/app', 'database/creds/short', 'database/creds/steady', 'database/creds/long']),
  );
  await writePolicy(vault, 'kv-only', taskPolicy(['kv/data/app']));
}, 300_000);

const context = useE2e(async () => {
  return {
    extraConfig: await nomadAgentVaultBlock(vault),
    wasmPluginConfig: `
    vault {
      address         = "${vault.address}"
      request_timeout = "3s"
    }`,
  };
});

afterAll(async () => {
  await vault?.destroy();
  postgres?.stop();
});

/** Every value a component was given and every task token seen, for the disk scan at the end. */
const secretValues = new Set<string>([KV_API_KEY]);
const tokensWithEnvFalse = new Set<string>();
const tokensWithEnvTrue = new Set<string>();

interface JobOptions {
  readonly id: string;
  readonly secrets: string;
  readonly configKeys: readonly string[];
  readonly policies?: readonly string[];
  readonly env?: boolean;
  readonly restartAttempts?: number;
  readonly httpInstance?: 'shared' | 'per-request';
}

function secretsJob(options: JobOptions, baseUrl: string): string {
  return `
job "${options.id}" {
  type = "service"
  group "g" {
    restart {
      attempts = ${options.restartAttempts ?? 0}
      delay    = "1s"
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }
    network {
      port "http" {}
    }
    task "t" {
      driver = "wasm"
      artifact {
        source      = "${baseUrl}/config-http.wasm"
        destination = "local/config-http.wasm"
        mode        = "file"
      }
      vault {
        policies = ${JSON.stringify(options.policies ?? ['app'])}
        env      = ${options.env ?? false}
      }
      config {
        component     = "local/config-http.wasm"
        port          = "http"
        http_instance = "${options.httpInstance ?? 'shared'}"
        ${options.secrets}
        config_keys   = ${JSON.stringify(options.configKeys)}
        config_values = { greeting = "hello" }
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}`;
}

interface Started {
  readonly jobId: string;
  readonly alloc: Allocation;
  readonly url: string;
  readonly pid: number;
  readonly events: EventRecorder;
  /** The task's Vault token, as Nomad wrote it to secrets/vault_token. */
  readonly token: string;
}

/** Nomad keeps only a task's last 10 events: poll and keep all of them, in order. */
class EventRecorder {
  readonly seen: Array<{ time: number; message: string }> = [];
  private readonly keys = new Set<string>();
  private stopped = false;

  constructor(
    private readonly api: NomadApi,
    private readonly allocId: string,
  ) {
    void this.poll();
  }

  private async poll(): Promise<void> {
    while (!this.stopped) {
      const alloc = await this.api.allocation(this.allocId).catch(() => undefined);
      for (const event of taskState(alloc ?? ({} as Allocation))?.Events ?? []) {
        const key = `${event.Time}|${event.DisplayMessage}`;
        if (this.keys.has(key)) continue;
        this.keys.add(key);
        this.seen.push({ time: event.Time, message: event.DisplayMessage });
      }
      await sleep(200);
    }
  }

  matching(pattern: RegExp): string[] {
    return this.seen.filter((event) => pattern.test(event.message)).map((event) => event.message);
  }

  async waitFor(pattern: RegExp, count: number, timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.matching(pattern);
      if (found.length >= count) return found;
      await sleep(200);
    }
    throw new Error(`expected ${count} events matching ${pattern} within ${timeoutMs} ms; events:\n${this.timeline()}`);
  }

  /** Events since `start` (ms): "+12.3s message" lines. */
  timeline(start = this.seen[0]?.time ?? 0): string {
    return this.seen
      .filter((event) => event.message !== '')
      .map((event) => `+${((event.time - start) / 1e9).toFixed(1)}s ${event.message}`)
      .join('\n');
  }

  stop(): void {
    this.stopped = true;
  }
}

async function start(options: JobOptions): Promise<Started> {
  const { api } = context().agent;
  const jobId = await api.runJobHcl(secretsJob(options, context().components.baseUrl));
  const alloc = await api.waitForAllocation(jobId, isRunning(), `${options.id} to run`, 120_000);
  const port = alloc.AllocatedResources?.Shared?.Ports?.find((p) => p.Label === 'http');
  const [pid] = taskHostPids(alloc.ID, 't');
  if (!port || pid === undefined) throw new Error(`no port or task host for ${options.id}`);
  const token = readFileSync(join(taskDir(alloc), 'secrets', 'vault_token'), 'utf8').trim();
  (options.env === true ? tokensWithEnvTrue : tokensWithEnvFalse).add(token);
  return {
    jobId,
    alloc,
    url: `http://${port.HostIP}:${port.Value}`,
    pid,
    events: new EventRecorder(api, alloc.ID),
    token,
  };
}

function taskDir(alloc: Allocation): string {
  return join(context().agent.dir, 'data', 'alloc', alloc.ID, 't');
}

async function get(task: Started, key: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${task.url}/get/${key}`);
  const body = await response.text();
  // Plain config values are not secret: only Vault's values go to the disk scan.
  if (response.status === 200 && key !== 'greeting') secretValues.add(body);
  return { status: response.status, body };
}

async function credentials(task: Started): Promise<{ user: string; password: string }> {
  const user = await get(task, 'db.username');
  const password = await get(task, 'db.password');
  expect(user.status).toBe(200);
  expect(password.status).toBe(200);
  return { user: user.body, password: password.body };
}

async function stop(task: Started): Promise<void> {
  await context().agent.api.stopJob(task.jobId);
  await context().agent.api.waitForAllocation(task.jobId, isDead(), `${task.jobId} to stop`, 60_000);
  // The last events (revocation) reach the server shortly after the task is dead.
  await sleep(1000);
  task.events.stop();
}

async function waitUntil(what: string, probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

const RENEWED = /^Renewed Vault lease of secret "db"/;
const ROTATED = /^Rotated secret "db"/;
const REVOKED = /^Revoked \d Vault leases? at stop/;

describe('Vault secrets in components on a real Nomad agent', () => {
  it('KV v2 and a dynamic credential reach the component; the credential is renewed, rotated after its max TTL and revoked at stop', async () => {
    const task = await start({
      id: 'vault-rotation',
      secrets:
        'secret "db" { path = "database/creds/short" }\n        secret "api" {\n          path  = "kv/data/app"\n          field = "api_key"\n        }',
      configKeys: ['db.username', 'db.password', 'api'],
      httpInstance: 'per-request',
    });
    expect(await get(task, 'api')).toEqual({ status: 200, body: KV_API_KEY });
    expect(await get(task, 'greeting')).toEqual({ status: 200, body: 'hello' });
    const first = await credentials(task);
    expect(postgres.canLogin(first.user, first.password)).toBe(true);
    await task.events.waitFor(
      /^Vault secrets: api <- kv\/data\/app#api_key, db <- database\/creds\/short; Vault http:\/\/127\.0\.0\.1:\d+; token from secrets\/vault_token$/,
      1,
      10_000,
    );

    await task.events.waitFor(RENEWED, 2, 60_000);
    expect((await credentials(task)).user).toBe(first.user); // renewed, not replaced
    await task.events.waitFor(ROTATED, 1, 60_000);
    const second = await credentials(task);
    expect(second.user).not.toBe(first.user);
    expect(postgres.canLogin(second.user, second.password)).toBe(true);

    await stop(task);
    expect(task.events.matching(REVOKED)).toHaveLength(1);
    expect(postgres.roleExists(second.user)).toBe(false);
    // Nomad 1.6 (legacy derivation) revokes the task's token once the allocation has stopped.
    await waitUntil(
      'Nomad to revoke the task token',
      () =>
        vault.api('POST', 'auth/token/lookup', { token: task.token }).then(
          () => false,
          () => true,
        ),
      90_000,
    );
    console.log(`vault-rotation task events (nomad alloc status ${task.alloc.ID}):\n${task.events.timeline()}`);
  }, 240_000);

  it("a task restart in the same allocation (Nomad keeps the token) revokes the previous run's lease", async () => {
    const task = await start({
      id: 'vault-restart',
      secrets: 'secret "db" { path = "database/creds/long" }',
      configKeys: ['db.*'],
      env: true,
    });
    const first = await credentials(task);
    const response = await fetch(`${context().agent.api.address}/v1/client/allocation/${task.alloc.ID}/restart`, {
      method: 'POST',
      body: JSON.stringify({ TaskName: 't' }),
    });
    expect(response.status).toBe(200);
    await waitUntil(
      'the task host to be replaced',
      () => taskHostPids(task.alloc.ID, 't').some((pid) => pid !== task.pid),
      60_000,
    );
    await context().agent.api.waitForAllocation(
      task.jobId,
      (a) => isRunning()(a) && (taskState(a)?.Restarts ?? 0) >= 1,
      'the restarted task to run',
      60_000,
    );
    // A 10-minute lease: only our revocation at stop can have dropped the role this soon.
    await waitUntil("the first run's role to be dropped", () => !postgres.roleExists(first.user), 10_000);
    await waitUntil(
      'the restarted task to serve',
      () =>
        get(task, 'db.username').then(
          (r) => r.status === 200 && r.body !== first.user,
          () => false,
        ),
      30_000,
    );
    const second = await credentials(task);
    expect(postgres.canLogin(second.user, second.password)).toBe(true);
    // Nomad kept the allocation's token across the restart, and it is still valid.
    expect(readFileSync(join(taskDir(task.alloc), 'secrets', 'vault_token'), 'utf8').trim()).toBe(task.token);
    await vault.api('POST', 'auth/token/lookup', { token: task.token });
    await stop(task);
    expect(postgres.roleExists(second.user)).toBe(false);
  }, 180_000);

  it('secrets stay in use across a plugin restart and an agent restart: same task host, still renewed, events still arrive', async () => {
    const task = await start({
      id: 'vault-survive',
      secrets: 'secret "db" { path = "database/creds/steady" }',
      configKeys: ['db.username', 'db.password'],
    });
    const creds = await credentials(task);
    await task.events.waitFor(RENEWED, 1, 30_000);

    const [plugin] = pluginPids(context().agent.dir);
    if (plugin === undefined) throw new Error('no plugin process');
    process.kill(plugin, 'SIGKILL');
    const before = task.events.matching(RENEWED).length;
    // Nomad restarts the plugin, which recovers the task and reconnects to it.
    await task.events.waitFor(RENEWED, before + 2, 60_000);
    expect(isAlive(task.pid)).toBe(true);
    expect(await credentials(task)).toEqual(creds);

    await context().agent.stop();
    // With the agent down the task host keeps renewing: past the 6 s TTL the credential still works.
    await sleep(9000);
    expect(postgres.canLogin(creds.user, creds.password)).toBe(true);
    await context().agent.restart();
    const afterRestart = task.events.matching(RENEWED).length;
    await task.events.waitFor(RENEWED, afterRestart + 1, 60_000);
    expect(taskHostPids(task.alloc.ID, 't')).toEqual([task.pid]);
    expect(await credentials(task)).toEqual(creds);
    expect(postgres.canLogin(creds.user, creds.password)).toBe(true);
    const alloc = await context().agent.api.allocation(task.alloc.ID);
    expect(taskState(alloc)?.Restarts).toBe(0);

    await stop(task);
    expect(postgres.roleExists(creds.user)).toBe(false);
  }, 240_000);

  it('Vault stopped mid-run: the last values are served until the lease ends, with events; fresh values once Vault is back', async () => {
    const task = await start({
      id: 'vault-outage',
      secrets: 'secret "db" { path = "database/creds/steady" }',
      configKeys: ['db.username'],
    });
    const user = (await get(task, 'db.username')).body;
    await vault.stop();
    try {
      // Coded events: the code first, as `nomad alloc status` shows them.
      const failures = await task.events.waitFor(
        /^\[VAULT_UNREACHABLE\] Vault lease renewal for secret "db" failed/,
        1,
        30_000,
      );
      expect(failures[0]).toContain(vault.address);
      // Still served while its lease lasts.
      const during = await get(task, 'db.username');
      if (task.events.matching(/^\[VAULT_UNREACHABLE\] Secret "db" expired/).length === 0)
        expect(during).toEqual({ status: 200, body: user });
      await task.events.waitFor(/^\[VAULT_UNREACHABLE\] Secret "db" expired at/, 1, 30_000);
      const expired = await get(task, 'db.username');
      expect(expired.status).toBe(500);
      expect(expired.body).toMatch(/^error upstream: secret "db" expired at/);
    } finally {
      await vault.restart();
    }
    await task.events.waitFor(ROTATED, 1, 60_000);
    const fresh = await get(task, 'db.username');
    expect(fresh.status).toBe(200);
    expect(fresh.body).not.toBe(user);
    await stop(task);
    expect(postgres.roleExists(fresh.body)).toBe(false);
  }, 240_000);

  it('a policy that does not allow the path fails the task at start, naming the path, and is not retried', async () => {
    const { api } = context().agent;
    const jobId = await api.runJobHcl(
      secretsJob(
        {
          id: 'vault-denied',
          secrets: 'secret "db" { path = "database/creds/long" }',
          configKeys: ['db.username'],
          policies: ['kv-only'],
          restartAttempts: 2,
        },
        context().components.baseUrl,
      ),
    );
    const alloc = await api.waitForAllocation(jobId, isDead(), 'the denied task to fail', 120_000);
    const state = taskState(alloc);
    expect(state?.Failed).toBe(true);
    // Not retryable: Nomad's restart policy (2 attempts) is not used.
    expect(state?.Restarts).toBe(0);
    const failure =
      state?.Events.find((event) => /Vault denied reading/.test(event.DisplayMessage))?.DisplayMessage ?? '';
    expect(failure).toMatch(
      /^rpc error: code = FailedPrecondition desc = \[VAULT_PERMISSION_DENIED\] Vault denied reading/,
    );
    expect(failure).toContain('database/creds/long');
    expect(failure).toContain('policies');
    await api.stopJob(jobId);
  }, 180_000);

  it('nothing on disk: no secret value anywhere the run wrote; task tokens only where Nomad itself puts them', async () => {
    const root = context().agent.dir; // data dir (client state DB, alloc and task dirs, logs), plugin cache dir, agent log
    expect(secretValues.size).toBeGreaterThanOrEqual(8);
    const hits = scan(root, [...secretValues, ...tokensWithEnvFalse, ...tokensWithEnvTrue]);
    for (const value of secretValues) expect(hits.get(value) ?? [], `a secret value was found on disk`).toEqual([]);
    // Nomad's own token files: secrets/ (tmpfs) and private/ of the task dir.
    const nomadsOwn = (file: string) => /^data\/alloc\/[^/]+\/t\/(secrets|private)\/vault_token$/.test(file);
    for (const token of tokensWithEnvFalse) {
      const files = hits.get(token) ?? [];
      expect(files.filter((file) => !nomadsOwn(file))).toEqual([]);
      console.log(
        `task token with vault { env = false } found in: ${files.join(', ') || 'nowhere (allocation dirs collected)'}`,
      );
    }
    // vault { env = true }: Nomad persists the task env, token included, in its client state DB.
    for (const token of tokensWithEnvTrue) {
      const files = (hits.get(token) ?? []).filter((file) => !nomadsOwn(file));
      expect(files.every((file) => file.startsWith('data/client/'))).toBe(true);
      console.log(
        `task token with vault { env = true } found outside Nomad's token files in: ${files.join(', ') || 'nowhere'}`,
      );
    }
  }, 120_000);
});

/** Every file below root containing each needle: needle -> paths relative to root. */
function scan(root: string, needles: readonly string[]): Map<string, string[]> {
  const hits = new Map<string, string[]>();
  const patterns = needles
    .filter((needle) => needle.length >= 8)
    .map((needle) => [needle, Buffer.from(needle)] as const);
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.isFile() && statSync(path).size > 0) {
        const bytes = readFileSync(path);
        for (const [needle, pattern] of patterns) {
          if (bytes.includes(pattern)) hits.set(needle, [...(hits.get(needle) ?? []), relative(root, path)]);
        }
      }
    }
  };
  visit(root);
  return hits;
}
