// Consul service discovery both ways, on a real Nomad 1.6.3 agent whose
// `consul` block points at a real Consul 1.16.3 agent, jobs submitted with
// `nomad job run`:
// - Nomad registers a Wasm task's service (address and port it allocated),
//   runs its http/tcp checks through Consul, restarts it on check_restart,
//   deregisters it before stopping it (shutdown_delay); script checks and
//   address modes that cannot work say why; the same with provider "nomad".
// - A Wasm component calls raw_exec backends by name (allow_services), a
//   raw_exec client reaches the Wasm service through Consul; one backend
//   turns sick or stops mid-load; Consul and the plugin restart mid-run.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { ConsulAgent } from '../support/consul-agent.ts';
import { isDead, taskState } from './support/alloc-state.js';
import { nomadCli, nomadJobRun } from './support/nomad-cli.js';
import type { Allocation } from './support/nomad-api.js';
import { backendJob, clientJob, probeJob } from './support/service-jobs.js';
import { useE2e } from './support/suite.js';
import { pluginPids } from './support/task-hosts.js';

interface HealthEntry {
  readonly Service: { readonly ID: string; readonly Address: string; readonly Port: number };
  readonly Checks: {
    readonly Name: string;
    readonly Status: string;
    readonly Output: string;
    readonly ServiceID: string;
  }[];
}

let consul: ConsulAgent | undefined;
afterAll(async () => consul?.destroy(), 60_000);
const context = useE2e(async () => {
  consul = await ConsulAgent.start();
  const address = consul.address;
  return {
    extraConfig: `consul {\n  address = "${address}"\n}`,
    wasmPluginConfig: (ports) =>
      `    consul {\n      address = "${address}"\n    }\n    nomad {\n      address = "http://127.0.0.1:${ports.http}"\n    }`,
  };
});

const agent = () => context().agent;
const api = () => context().agent.api;
const base = () => context().components.baseUrl;
const consulAgent = (): ConsulAgent => {
  if (!consul) throw new Error('consul not started');
  return consul;
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

/**
 * When Consul shows a check of the instance on `port` critical, seen through
 * blocking queries (as the plugin's watch sees it), not by polling.
 */
async function whenCritical(service: string, port: number, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let index = '0';
  while (Date.now() < deadline) {
    const response = await fetch(`${consulAgent().url}/v1/health/service/${service}?index=${index}&wait=5s`);
    const entries = (await response.json()) as HealthEntry[];
    if (
      entries.some(
        (e) => e.Service.Port === port && e.Checks.some((c) => c.ServiceID !== '' && c.Status === 'critical'),
      )
    )
      return Date.now();
    index = response.headers.get('x-consul-index') ?? '0';
  }
  throw new Error(`the instance on port ${port} of ${service} did not turn critical`);
}

const health = (name: string, passing = false) =>
  consulAgent().api<HealthEntry[]>('GET', `/v1/health/service/${name}${passing ? '?passing' : ''}`);
const httpPort = (alloc: Allocation) => alloc.AllocatedResources?.Shared?.Ports?.find((p) => p.Label === 'http');
const urlOf = (alloc: Allocation) => `http://${httpPort(alloc)?.HostIP}:${httpPort(alloc)?.Value}`;
const events = (alloc: Allocation, task = 't') =>
  taskState(alloc, task)?.Events.map((e) => `${e.Type}: ${e.DisplayMessage}`) ?? [];

async function runningAllocs(jobId: string, count: number, task = 't'): Promise<Allocation[]> {
  try {
    return await until(
      async () => {
        const allocs = await api().allocations(jobId);
        const live = await Promise.all(
          allocs.filter((a) => a.ClientStatus === 'running').map((a) => api().allocation(a.ID)),
        );
        return live.filter((a) => taskState(a, task)?.State === 'running');
      },
      (live) => live.length === count,
      `${count} running allocation(s) of ${jobId}`,
      120_000,
    );
  } catch (err) {
    // What the allocations went through, so that a failure says why.
    const allocs = await Promise.all(
      (
        await api()
          .allocations(jobId)
          .catch(() => [])
      ).map((a) => api().allocation(a.ID)),
    );
    const story = allocs.map(
      (a) =>
        `${a.ID.slice(0, 8)} ${a.ClientStatus}: ${(taskState(a, task)?.Events ?? []).map((e) => `${e.Type}: ${e.DisplayMessage}`).join(' | ')}`,
    );
    throw new Error(`${(err as Error).message}\nallocations of ${jobId}:\n${story.join('\n') || '(none placed)'}`, {
      cause: err,
    });
  }
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.text() };
}

const probeService = (name: string, provider: 'consul' | 'nomad', checks: string, extra = '') => `
      service {
        provider = "${provider}"
        name     = "${name}"
        port     = "http"
        ${extra}
        ${checks}
      }`;
const httpCheck = (extra = '') => `check {
          name     = "http-health"
          type     = "http"
          path     = "/health"
          interval = "1s"
          timeout  = "1s"
          ${extra}
        }`;
const tcpCheck = `check {
          name     = "tcp-port"
          type     = "tcp"
          interval = "1s"
          timeout  = "1s"
        }`;

describe('Nomad registers Wasm services in Consul', () => {
  it('with the address and port Nomad allocated; http and tcp checks pass while the component answers, http turns critical when it fails', async () => {
    await nomadJobRun(
      agent(),
      'reg',
      probeJob({
        id: 'reg',
        artifactBaseUrl: base(),
        env: { NAME: 'reg' },
        service: probeService('wasm-reg', 'consul', `${httpCheck()}\n${tcpCheck}`),
      }),
    );
    const [alloc] = await runningAllocs('reg', 1);
    const port = alloc && httpPort(alloc);
    const [entry] = await until(
      () => health('wasm-reg', true),
      (entries) => entries.length === 1,
      'wasm-reg passing in Consul',
    );
    expect(entry?.Service.Address).toBe(port?.HostIP);
    expect(entry?.Service.Port).toBe(port?.Value);
    const checks = Object.fromEntries(
      (entry?.Checks ?? []).filter((c) => c.ServiceID !== '').map((c) => [c.Name, c.Status]),
    );
    expect(checks).toEqual({ 'http-health': 'passing', 'tcp-port': 'passing' });

    expect((await get(`${urlOf(alloc as Allocation)}/fail`)).status).toBe(200);
    const failing = await until(
      () => health('wasm-reg'),
      (entries) => entries[0]?.Checks.find((c) => c.Name === 'http-health')?.Status === 'critical',
      'the http check to turn critical',
    );
    // The port still accepts connections: only the http check sees the failure.
    expect(failing[0]?.Checks.find((c) => c.Name === 'tcp-port')?.Status).toBe('passing');
    expect(failing[0]?.Checks.find((c) => c.Name === 'http-health')?.Output).toContain('503');
    expect(await health('wasm-reg', true)).toEqual([]);

    await get(`${urlOf(alloc as Allocation)}/recover`);
    await until(
      () => health('wasm-reg', true),
      (entries) => entries.length === 1,
      'wasm-reg passing again',
    );
  }, 240_000);

  it('deregisters the service on stop, then waits shutdown_delay before stopping the component', async () => {
    await nomadJobRun(
      agent(),
      'delay',
      probeJob({
        id: 'delay',
        artifactBaseUrl: base(),
        env: { NAME: 'delay' },
        task: 'shutdown_delay = "4s"',
        service: probeService('wasm-delay', 'consul', httpCheck()),
      }),
    );
    const [alloc] = await runningAllocs('delay', 1);
    const url = urlOf(alloc as Allocation);
    await until(
      () => health('wasm-delay', true),
      (entries) => entries.length === 1,
      'wasm-delay passing',
    );
    const stop = await nomadCli(agent(), ['job', 'stop', '-detach', 'delay']);
    expect(stop.code).toBe(0);
    await until(
      () => health('wasm-delay'),
      (entries) => entries.length === 0,
      'wasm-delay deregistered',
      30_000,
    );
    // Gone from Consul, yet still answering: clients have shutdown_delay to notice.
    expect((await get(`${url}/`)).body).toBe('hello from delay\n');
    const stopped = await api().waitForAllocation('delay', isDead(), 'delay to stop', 60_000);
    // By Nomad's own clock: the component was stopped no sooner than shutdown_delay after Nomad began waiting.
    const events = taskState(stopped)?.Events ?? [];
    const waiting = events.find((e) => e.Type === 'Waiting for shutdown delay');
    const terminated = events.find((e) => e.Type === 'Terminated');
    expect(waiting?.DisplayMessage).toBe('Waiting for shutdown_delay of 4s before killing the task.');
    expect(((terminated?.Time ?? 0) - (waiting?.Time ?? 0)) / 1e6).toBeGreaterThanOrEqual(4_000);
    await expect(get(`${url}/`)).rejects.toThrow();
  }, 240_000);

  it('check_restart restarts a task whose component stops answering (a hung /health), and the new instance is healthy', async () => {
    await nomadJobRun(
      agent(),
      'hang',
      probeJob({
        id: 'hang',
        artifactBaseUrl: base(),
        env: { NAME: 'hang' },
        task: 'kill_timeout = "1s"',
        restart:
          'restart {\n      attempts = 3\n      delay    = "1s"\n      interval = "10m"\n      mode     = "fail"\n    }',
        service: probeService(
          'wasm-hang',
          'consul',
          httpCheck('check_restart {\n            limit = 2\n            grace = "5s"\n          }'),
        ),
      }),
    );
    const [alloc] = await runningAllocs('hang', 1);
    await until(
      () => health('wasm-hang', true),
      (entries) => entries.length === 1,
      'wasm-hang passing',
    );
    expect((await get(`${urlOf(alloc as Allocation)}/hang`)).status).toBe(200);
    const restarted = await api().waitForAllocation(
      'hang',
      (a) => (taskState(a)?.Restarts ?? 0) >= 1 && taskState(a)?.State === 'running',
      'check_restart to restart the task',
      120_000,
    );
    expect(events(restarted).some((e) => /^Restart Signaled: healthcheck: check "http-health" unhealthy/.test(e))).toBe(
      true,
    );
    await until(
      () => health('wasm-hang', true),
      (entries) => entries.length === 1,
      'the restarted task to pass its check',
      60_000,
    );
    expect((await get(`${urlOf(restarted)}/health`)).body).toBe('ok hang\n');
    await api().stopJob('hang');
  }, 300_000);

  it('a script check cannot run: its check is critical and its output says why and what to use instead', async () => {
    await nomadJobRun(
      agent(),
      'script',
      probeJob({
        id: 'script',
        artifactBaseUrl: base(),
        env: { NAME: 'script' },
        service: probeService(
          'wasm-script',
          'consul',
          'check {\n          name     = "script"\n          type     = "script"\n          command  = "/bin/true"\n          interval = "1s"\n          timeout  = "2s"\n        }',
        ),
      }),
    );
    await runningAllocs('script', 1);
    // The agent's own view: Consul syncs the output of a check whose status does
    // not change to the catalog only every check_update_interval (5 min).
    const checks = await until(
      () =>
        consulAgent().api<Record<string, { Name: string; ServiceName: string; Status: string; Output: string }>>(
          'GET',
          '/v1/agent/checks',
        ),
      (all) => Object.values(all).some((c) => c.ServiceName === 'wasm-script' && c.Output !== ''),
      'the script check to report why',
    );
    const check = Object.values(checks).find((c) => c.ServiceName === 'wasm-script');
    expect(check?.Status).toBe('critical');
    expect(check?.Output).toBe(
      'rpc error: code = Unimplemented desc = [EXEC_NOT_SUPPORTED] exec is not supported for Wasm tasks, so script checks cannot run (a component has no shell): use an http or tcp check on the service port',
    );
    await api().stopJob('script');
  }, 240_000);

  it('address_mode "driver" and "alloc" cannot work (no driver network, no alloc network): refused with Nomad\'s message, nothing registered', async () => {
    // A task service with address_mode = "driver": the task runs, the registration fails with a task event.
    await nomadJobRun(
      agent(),
      'mode-driver',
      probeJob({
        id: 'mode-driver',
        artifactBaseUrl: base(),
        service: probeService('wasm-mode-driver', 'consul', '', 'address_mode = "driver"'),
      }),
    );
    const driver = await api().waitForAllocation(
      'mode-driver',
      (a) => events(a).some((e) => e.startsWith('Task hook failed')),
      'the driver-mode registration to fail',
    );
    expect(events(driver).find((e) => e.startsWith('Task hook failed'))).toMatch(
      /cannot use address_mode="driver": no driver network exists/,
    );
    expect(await health('wasm-mode-driver')).toEqual([]);
    await api().stopJob('mode-driver');

    // A task service with address_mode = "alloc": refused at submission.
    const task = await nomadJobRun(
      agent(),
      'mode-alloc',
      probeJob({
        id: 'mode-alloc',
        artifactBaseUrl: base(),
        service: probeService('wasm-mode-alloc', 'consul', '', 'address_mode = "alloc"'),
      }),
    ).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(task?.message).toContain(
      'cannot use address_mode="alloc", only services defined in a "group" block can use this mode',
    );

    // A group service with address_mode = "alloc": the group has no alloc network (host networking only).
    await nomadJobRun(
      agent(),
      'mode-group-alloc',
      probeJob({
        id: 'mode-group-alloc',
        artifactBaseUrl: base(),
        groupService:
          'service {\n      name         = "wasm-mode-group-alloc"\n      port         = "http"\n      address_mode = "alloc"\n    }',
      }),
    );
    const group = await api().waitForAllocation(
      'mode-group-alloc',
      (a) => a.ClientStatus === 'failed' || events(a).some((e) => /address_mode/.test(e)),
      'the alloc-mode registration to fail',
    );
    const why =
      JSON.stringify(group.TaskStates ?? {}) + (group as Allocation & { ClientDescription?: string }).ClientDescription;
    expect(why).toMatch(/cannot use address_mode=\\?"alloc\\?": no allocation network status reported/);
    expect(await health('wasm-mode-group-alloc')).toEqual([]);
    await api().stopJob('mode-group-alloc');
  }, 240_000);
});

describe('provider = "nomad"', () => {
  interface NomadCheck {
    readonly Check: string;
    readonly Status: string;
    readonly Output: string;
  }
  const checks = async (allocId: string): Promise<Record<string, NomadCheck>> =>
    (await fetch(`${api().address}/v1/client/allocation/${allocId}/checks`)).json() as Promise<
      Record<string, NomadCheck>
    >;

  it('registers in Nomad with its address and port, runs the http check, restarts on check_restart, deregisters on stop', async () => {
    await nomadJobRun(
      agent(),
      'native',
      probeJob({
        id: 'native',
        artifactBaseUrl: base(),
        env: { NAME: 'native' },
        restart:
          'restart {\n      attempts = 3\n      delay    = "1s"\n      interval = "10m"\n      mode     = "fail"\n    }',
        service: probeService(
          'wasm-native',
          'nomad',
          httpCheck('check_restart {\n            limit = 2\n            grace = "5s"\n          }'),
        ),
      }),
    );
    const [alloc] = await runningAllocs('native', 1);
    const port = alloc && httpPort(alloc);
    const registered = await until(
      () => api().services('wasm-native'),
      (s) => s.length === 1,
      'the Nomad registration',
    );
    expect(registered.map((s) => `${s.Address}:${s.Port}`)).toEqual([`${port?.HostIP}:${port?.Value}`]);
    await until(
      () => checks(alloc?.ID ?? ''),
      (c) => Object.values(c).some((x) => x.Check === 'http-health' && x.Status === 'success'),
      'the check to succeed',
    );

    await get(`${urlOf(alloc as Allocation)}/fail`);
    const restarted = await api().waitForAllocation(
      'native',
      (a) => (taskState(a)?.Restarts ?? 0) >= 1 && taskState(a)?.State === 'running',
      'check_restart (nomad provider)',
      120_000,
    );
    expect(events(restarted).some((e) => /^Restart Signaled: healthcheck: check "http-health" unhealthy/.test(e))).toBe(
      true,
    );

    await nomadCli(agent(), ['job', 'stop', '-detach', 'native']);
    await until(
      () => api().services('wasm-native'),
      (s) => s.length === 0,
      'the Nomad registration to go',
      60_000,
    );
  }, 300_000);

  it('a script check is refused by Nomad at submission', async () => {
    const file = probeJob({
      id: 'native-script',
      artifactBaseUrl: base(),
      service: probeService(
        'wasm-native-script',
        'nomad',
        'check {\n          type     = "script"\n          command  = "/bin/true"\n          interval = "1s"\n          timeout  = "2s"\n        }',
      ),
    });
    const err = await nomadJobRun(agent(), 'native-script', file).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/script/i);
  }, 120_000);
});

/** Requests against the Wasm caller from the test, recording what each got. */
class Load {
  readonly results: { sentAt: number; status: number; body: string }[] = [];
  private running = true;
  private readonly workers: Promise<void>[];

  constructor(url: string, concurrency = 3) {
    this.workers = Array.from({ length: concurrency }, () => this.work(url));
  }

  private async work(url: string): Promise<void> {
    while (this.running) {
      const sentAt = Date.now();
      const result = await get(url).catch((err: unknown) => ({ status: 0, body: String(err) }));
      this.results.push({ sentAt, ...result });
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  failures(after = 0): { sentAt: number; status: number; body: string }[] {
    return this.results.filter((r) => r.sentAt >= after && r.status !== 200);
  }
}

describe('a Wasm component calls services by name (allow_services), in a mixed cluster', () => {
  let callerUrl = '';
  let backends: Allocation[] = [];

  async function backendInstances(): Promise<HealthEntry[]> {
    return health('backend', true);
  }

  it('reaches raw_exec backends as http://backend.service.consul, spread over both; a raw_exec client reaches the Wasm service through Consul', async () => {
    await nomadJobRun(agent(), 'backend', backendJob('backend', 'backend'));
    backends = await runningAllocs('backend', 2, 'backend');
    await until(backendInstances, (entries) => entries.length === 2, 'both backends passing');
    await nomadJobRun(
      agent(),
      'caller',
      probeJob({
        id: 'caller',
        artifactBaseUrl: base(),
        env: { NAME: 'caller', UPSTREAM: 'http://backend.service.consul' },
        config: 'allow_services = ["backend"]',
        service: probeService('wasm-caller', 'consul', httpCheck()),
      }),
    );
    const [caller] = await runningAllocs('caller', 1);
    callerUrl = urlOf(caller as Allocation);
    expect(events(caller as Allocation).find((e) => e.startsWith('Driver: Grants:'))).toMatch(
      / services=backend\.service\.consul$/,
    );
    const names = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const { status, body } = await get(`${callerUrl}/call/hello-${i}`);
      expect(status).toBe(200);
      expect(body).toMatch(new RegExp(`^[0-9a-f]{8} /hello-${i}\\n$`));
      names.add(body.slice(0, 8));
    }
    expect([...names].sort()).toEqual(backends.map((b) => b.ID.slice(0, 8)).sort());

    await until(
      () => health('wasm-caller', true),
      (entries) => entries.length === 1,
      'the Wasm caller passing in Consul',
    );
    await nomadJobRun(agent(), 'client', clientJob('client', 'wasm-caller'));
    const [client] = await runningAllocs('client', 1, 'client');
    const log = await api().waitForLog(
      client?.ID ?? '',
      'client',
      'stdout',
      /ok 200 [0-9a-f]{8} \/from-client/,
      60_000,
    );
    expect(log).not.toMatch(/failed|ok [^2]/);
    await api().stopJob('client');
  }, 300_000);

  it('a backend that turns sick stops getting requests once its check is critical: none fails after critical + one watch round', async () => {
    const sick = backends[0] as Allocation;
    const load = new Load(`${callerUrl}/call/load`);
    await sleep(1_500);
    const sickAt = Date.now();
    await get(`${urlOf(sick)}/sick`);
    const criticalAt = await whenCritical('backend', httpPort(sick)?.Value ?? 0);
    // One watch round: Consul's blocking query answers, the plugin pushes the set, the task host applies it.
    // On an idle machine that takes well under a second (printed below); the bound leaves room for a
    // loaded 2-core one, and the load runs on past it so that the requests after it are checked.
    const watchRoundBoundMs = 5_000;
    await sleep(watchRoundBoundMs + 3_000);
    await load.stop();
    const arrivals = JSON.parse((await get(`${urlOf(sick)}/requests`)).body) as number[];
    const lastArrival = Math.max(...arrivals);
    console.log(
      `[consul e2e] check critical ${criticalAt - sickAt} ms after the backend turned sick; last request reached it ${lastArrival - criticalAt} ms after Consul showed it critical; ${load.results.length} requests, ${load.failures().length} answered by the sick backend before that`,
    );
    expect(load.results.length).toBeGreaterThan(20);
    expect(lastArrival - criticalAt).toBeLessThan(watchRoundBoundMs);
    expect(load.results.filter((r) => r.sentAt >= criticalAt + watchRoundBoundMs).length).toBeGreaterThan(5);
    expect(load.failures(criticalAt + watchRoundBoundMs)).toEqual([]);
    await get(`${urlOf(sick)}/recover`);
    await until(backendInstances, (entries) => entries.length === 2, 'both backends passing again');
  }, 180_000);

  it('stopping a backend mid-load (nomad alloc stop) fails no request: Nomad deregisters it first, the host retries on refusal', async () => {
    const load = new Load(`${callerUrl}/call/stop`);
    await sleep(1_000);
    const stopped = backends[1] as Allocation;
    expect((await nomadCli(agent(), ['alloc', 'stop', '-detach', stopped.ID])).code).toBe(0);
    await until(
      backendInstances,
      (entries) => entries.length === 2 && !entries.some((e) => e.Service.Port === httpPort(stopped)?.Value),
      'the replacement backend passing',
      120_000,
    );
    await sleep(1_000);
    await load.stop();
    expect(load.results.length).toBeGreaterThan(20);
    expect(load.failures()).toEqual([]);
    backends = await runningAllocs('backend', 2, 'backend');
  }, 240_000);

  it('Consul restarted mid-run: the caller keeps its last known set while Consul is down, then follows changes again', async () => {
    const load = new Load(`${callerUrl}/call/outage`);
    await sleep(1_000);
    await consulAgent().stop();
    await sleep(3_000);
    await consulAgent().restart();
    await until(
      backendInstances,
      (entries) => entries.length === 2,
      'both backends passing after the restart',
      120_000,
    );
    await sleep(1_000);
    await load.stop();
    expect(load.results.length).toBeGreaterThan(20);
    expect(load.failures()).toEqual([]);
    // The plugin's watch backs off while Consul is down (up to 10 s between tries).
    const caller = await until(
      async () => (await runningAllocs('caller', 1))[0] as Allocation,
      (a) => events(a).some((e) => e.includes('Service lookup of backend.service.consul works again')),
      'the caller to hear that lookups work again',
      60_000,
    );
    expect(
      events(caller).some((e) =>
        /^Driver: \[SERVICE_LOOKUP_FAILED\] Service lookup failed, keeping the last known instances of backend\.service\.consul/.test(
          e,
        ),
      ),
    ).toBe(true);

    // The watch follows Consul again: a sick backend stops getting requests.
    const sick = backends[0] as Allocation;
    await get(`${urlOf(sick)}/sick`);
    await until(
      () => backendInstances(),
      (entries) => entries.length === 1,
      'the sick backend to leave the passing set',
      30_000,
    );
    await sleep(1_500);
    const before = (JSON.parse((await get(`${urlOf(sick)}/requests`)).body) as number[]).length;
    for (let i = 0; i < 10; i++) expect((await get(`${callerUrl}/call/after-restart`)).status).toBe(200);
    expect((JSON.parse((await get(`${urlOf(sick)}/requests`)).body) as number[]).length).toBe(before);
    await get(`${urlOf(sick)}/recover`);
    await until(backendInstances, (entries) => entries.length === 2, 'both backends passing again');
  }, 300_000);

  it('plugin crash mid-run: the task host keeps its set; the new plugin resumes pushing changes', async () => {
    const load = new Load(`${callerUrl}/call/plugin`);
    const before = pluginPids(agent().dir);
    for (const pid of before) process.kill(pid, 'SIGKILL');
    // Any RPC makes Nomad start a new plugin, which recovers the task and reconnects its channel.
    const caller = (await runningAllocs('caller', 1))[0] as Allocation;
    await api()
      .signal(caller.ID, 't', 'SIGUSR1')
      .catch(() => undefined);
    await until(
      async () => pluginPids(agent().dir).filter((pid) => !before.includes(pid)),
      (pids) => pids.length === 1,
      'a new plugin',
      60_000,
    );
    await sleep(1_000);
    await load.stop();
    expect(load.failures()).toEqual([]);

    const sick = backends[1] as Allocation;
    await get(`${urlOf(sick)}/sick`);
    await until(
      () => backendInstances(),
      (entries) => entries.length === 1,
      'the sick backend to leave the passing set',
      30_000,
    );
    await sleep(1_500);
    const count = (JSON.parse((await get(`${urlOf(sick)}/requests`)).body) as number[]).length;
    for (let i = 0; i < 10; i++) expect((await get(`${callerUrl}/call/after-plugin`)).status).toBe(200);
    expect((JSON.parse((await get(`${urlOf(sick)}/requests`)).body) as number[]).length).toBe(count);
    await get(`${urlOf(sick)}/recover`);
  }, 240_000);

  it('an ungranted service name gets HTTP-request-denied', async () => {
    expect(await get(`${callerUrl}/to/wasm-caller.service.consul/x`)).toEqual({
      status: 502,
      body: 'error HTTP-request-denied\n',
    });
    const caller = (await runningAllocs('caller', 1))[0] as Allocation;
    const stderr = await api().waitForLog(caller.ID, 't', 'stderr', /wasm-caller\.service\.consul denied/);
    expect(stderr).toContain(
      "outbound HTTP to wasm-caller.service.consul denied: not a service in the task's allow_services list",
    );
  }, 60_000);

  it('Nomad-native services by name: http://nbackend.service.nomad reaches the raw_exec backends registered with provider "nomad"', async () => {
    await nomadJobRun(agent(), 'nbackend', backendJob('nbackend', 'nbackend', { provider: 'nomad' }));
    const nbackends = await runningAllocs('nbackend', 2, 'backend');
    await until(
      () => api().services('nbackend'),
      (s) => s.length === 2,
      'both Nomad registrations',
    );
    await nomadJobRun(
      agent(),
      'ncaller',
      probeJob({
        id: 'ncaller',
        artifactBaseUrl: base(),
        env: { NAME: 'ncaller', UPSTREAM: 'http://nbackend.service.nomad' },
        config: 'allow_services = ["nbackend.service.nomad"]',
      }),
    );
    const [ncaller] = await runningAllocs('ncaller', 1);
    const url = urlOf(ncaller as Allocation);
    const names = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const { status, body } = await get(`${url}/call/n${i}`);
      expect(status).toBe(200);
      names.add(body.slice(0, 8));
    }
    expect([...names].sort()).toEqual(nbackends.map((b) => b.ID.slice(0, 8)).sort());
    // One stops: Nomad deregisters it and the caller follows, with no failed request.
    const load = new Load(`${url}/call/nstop`);
    await nomadCli(agent(), ['alloc', 'stop', '-detach', nbackends[0]?.ID ?? '']);
    await until(
      () => api().services('nbackend'),
      (s) => s.length === 2 && !s.some((r) => r.AllocID === nbackends[0]?.ID),
      'the replacement registration',
      120_000,
    );
    await sleep(1_000);
    await load.stop();
    expect(load.failures()).toEqual([]);
    await api().stopJob('ncaller');
    await api().stopJob('nbackend');
  }, 300_000);

  it("the task's own Consul token never reaches the component: pass_env of it is refused", async () => {
    await nomadJobRun(
      agent(),
      'token',
      probeJob({
        id: 'token',
        artifactBaseUrl: base(),
        task: 'env {\n        CONSUL_HTTP_TOKEN = "not-for-components"\n      }',
        config: 'pass_env = ["CONSUL_HTTP_TOKEN"]',
      }),
    );
    const alloc = await api().waitForAllocation('token', isDead(), 'the start to fail');
    expect(taskState(alloc)?.Failed).toBe(true);
    expect(events(alloc).join('\n')).toContain(
      'desc = [GRANT_EXPOSES_TOKEN] config field "pass_env" names CONSUL_HTTP_TOKEN, a variable Nomad fills with one of the task\'s tokens',
    );
    expect(events(alloc).join('\n')).not.toContain('not-for-components');
  }, 120_000);
});
