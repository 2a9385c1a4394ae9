// Consul with ACLs on (default deny), on a real Nomad 1.6.3 agent: Nomad
// registers with a token of its own; the plugin resolves `allow_services`
// with a least-privilege token (service:read on `backend`, node:read).
// A task granted a service that token may not read fails at once with a
// clear error, and a token revoked mid-run gives a task event while the
// task keeps its last known instances.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { ConsulAgent } from '../support/consul-agent.ts';
import { isDead, taskState } from './support/alloc-state.js';
import { nomadJobRun } from './support/nomad-cli.js';
import type { Allocation } from './support/nomad-api.js';
import { backendJob, probeJob } from './support/service-jobs.js';
import { useE2e } from './support/suite.js';

const PLUGIN_TOKEN = '6b1a4f0e-2c3d-4e5f-8a9b-0c1d2e3f4a5b';
const PLUGIN_POLICY = 'service "backend" { policy = "read" }\nnode_prefix "" { policy = "read" }';

let consul: ConsulAgent | undefined;
afterAll(async () => consul?.destroy(), 60_000);
const context = useE2e(async () => {
  consul = await ConsulAgent.start({ acl: true });
  const nomadToken = await consul.tokenWithRules(
    'nomad-agent',
    'agent_prefix "" { policy = "read" }\nnode_prefix "" { policy = "write" }\nservice_prefix "" { policy = "write" }',
  );
  await consul.api('PUT', '/v1/acl/policy', { Name: 'wasm-plugin', Rules: PLUGIN_POLICY });
  await consul.api('PUT', '/v1/acl/token', {
    SecretID: PLUGIN_TOKEN,
    Description: 'wasm plugin',
    Policies: [{ Name: 'wasm-plugin' }],
  });
  return {
    extraConfig: `consul {\n  address = "${consul.address}"\n  token   = "${nomadToken}"\n}`,
    wasmPluginConfig: `    consul {\n      address = "${consul.address}"\n      token   = "${PLUGIN_TOKEN}"\n    }`,
  };
});

const api = () => context().agent.api;
const base = () => context().components.baseUrl;
const events = (alloc: Allocation) => taskState(alloc)?.Events.map((e) => `${e.Type}: ${e.DisplayMessage}`) ?? [];
const urlOf = (alloc: Allocation) => {
  const port = alloc.AllocatedResources?.Shared?.Ports?.find((p) => p.Label === 'http');
  return `http://${port?.HostIP}:${port?.Value}`;
};

async function until<T>(
  probe: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe().catch(() => undefined);
    if (last !== undefined && ok(last)) return last;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 2000)}`);
}

const passing = (name: string) => (consul as ConsulAgent).api<unknown[]>('GET', `/v1/health/service/${name}?passing`);

async function runningAlloc(jobId: string): Promise<Allocation> {
  return api().waitForAllocation(jobId, (a) => taskState(a)?.State === 'running', `${jobId} to run`, 120_000);
}

describe('Consul with ACLs on', () => {
  let callerUrl = '';

  it('Nomad registers with its token; the plugin reads the granted service with a least-privilege token', async () => {
    await nomadJobRun(context().agent, 'backend', backendJob('backend', 'backend'));
    await until(
      () => passing('backend'),
      (entries) => entries.length === 2,
      'both backends registered and passing',
      120_000,
    );
    await nomadJobRun(
      context().agent,
      'caller',
      probeJob({
        id: 'caller',
        artifactBaseUrl: base(),
        env: { NAME: 'caller', UPSTREAM: 'http://backend.service.consul' },
        config: 'allow_services = ["backend"]',
      }),
    );
    callerUrl = urlOf(await runningAlloc('caller'));
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${callerUrl}/call/acl-${i}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toMatch(new RegExp(`^[0-9a-f]{8} /acl-${i}\\n$`));
    }
  }, 300_000);

  it('a task granted a service the token may not read fails to start at once, naming the policy it needs', async () => {
    await nomadJobRun(context().agent, 'secret', backendJob('secret', 'secret', { count: 1 }));
    await until(
      () => (consul as ConsulAgent).api<unknown[]>('GET', '/v1/health/service/secret?passing'),
      (entries) => entries.length === 1,
      'the secret service to pass',
    );
    const submitted = Date.now();
    await nomadJobRun(
      context().agent,
      'nosy',
      probeJob({
        id: 'nosy',
        artifactBaseUrl: base(),
        env: { UPSTREAM: 'http://secret.service.consul' },
        config: 'allow_services = ["secret"]',
      }),
    );
    const alloc = await api().waitForAllocation('nosy', isDead(), 'the start to fail', 60_000);
    expect(Date.now() - submitted).toBeLessThan(45_000);
    expect(taskState(alloc)?.Failed).toBe(true);
    const failure = events(alloc).find((e) => e.startsWith('Driver Failure'));
    expect(failure).toMatch(/^Driver Failure: rpc error: code = FailedPrecondition desc = \[SERVICE_LOOKUP_DENIED\] /);
    expect(failure).toContain(
      'hid the instances of service "secret" from the plugin\'s token: its policy needs service "secret" { policy = "read" } and node_prefix "" { policy = "read" }',
    );
    expect(failure).not.toContain(PLUGIN_TOKEN);
  }, 180_000);

  it('the plugin token revoked mid-run: a clear task event, the task keeps calling its last known instances; restored, lookups work again', async () => {
    await (consul as ConsulAgent).api('DELETE', `/v1/acl/token/${await tokenAccessor()}`);
    const denied = await until(
      () => runningAlloc('caller'),
      (a) =>
        events(a).some((e) =>
          /^Driver: \[SERVICE_LOOKUP_DENIED\] Service lookup failed, keeping the last known instances of backend\.service\.consul: Consul at .* refused to list service "backend" \(HTTP 403/.test(
            e,
          ),
        ),
      'the denial event',
      60_000,
    );
    expect(events(denied).join('\n')).not.toContain(PLUGIN_TOKEN);
    for (let i = 0; i < 6; i++) expect((await fetch(`${callerUrl}/call/revoked-${i}`)).status).toBe(200);

    await (consul as ConsulAgent).api('PUT', '/v1/acl/token', {
      SecretID: PLUGIN_TOKEN,
      Description: 'wasm plugin',
      Policies: [{ Name: 'wasm-plugin' }],
    });
    await until(
      () => runningAlloc('caller'),
      (a) => events(a).some((e) => e.includes('Service lookup of backend.service.consul works again')),
      'the recovery event',
      60_000,
    );
  }, 180_000);
});

async function tokenAccessor(): Promise<string> {
  const tokens = await (consul as ConsulAgent).api<{ AccessorID: string; Description: string }[]>(
    'GET',
    '/v1/acl/tokens',
  );
  const token = tokens.find((t) => t.Description === 'wasm plugin');
  if (!token) throw new Error('plugin token not found');
  return token.AccessorID;
}
