// The services room against a real Consul 1.16.3 agent (built from its Go
// module, started here): the catalog client over the `consul` npm package,
// the shared blocking-query watches, ACLs, a Consul restart, and what a
// starting task gets.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SERVICES_CONFIG, type ConsulEndpoint } from '../../src/config/services-config.js';
import { ConsulCatalog } from '../../src/services/consul-catalog.js';
import { ServiceWatches } from '../../src/services/service-watches.js';
import type { ServiceInstance } from '../../src/services/service-instance.js';
import { PluginServiceFeeds, type ServiceTask } from '../../src/services/plugin-service-feeds.js';
import { ConsulAgent } from '../support/consul-agent.ts';
import { driverRejection } from '../support/rejection.ts';

const log = pino({ level: 'silent' });
const timing = { waitSeconds: 30, minIntervalMs: 50, backoffMs: 100, maxBackoffMs: 1_000 };
const task: ServiceTask = { id: 'alloc/t/1', allocId: 'alloc', name: 't', namespace: 'default' };
const payments = { provider: 'consul', name: 'payments' } as const;

let consul: ConsulAgent;
let secured: ConsulAgent;

function endpoint(agent: ConsulAgent, token?: string): ConsulEndpoint {
  return { ...DEFAULT_SERVICES_CONFIG.consul, url: agent.url, token };
}

async function until<T>(
  probe: () => T | Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(
    `timed out waiting for ${what}; last: ${JSON.stringify(last, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`,
  );
}

const ports = (instances: readonly ServiceInstance[] | null | undefined): number[] =>
  (instances ?? []).map((i) => i.port).sort();

beforeAll(async () => {
  [consul, secured] = await Promise.all([ConsulAgent.start(), ConsulAgent.start({ acl: true })]);
  for (const [i, agent] of [consul, secured].entries()) {
    await agent.register({
      ID: 'payments-1',
      Name: 'payments',
      Address: '127.0.0.1',
      Port: 9001 + i * 100,
      Check: { CheckID: 'payments-1-ttl', TTL: '10m', Status: 'passing' },
    });
    await agent.register({
      ID: 'payments-2',
      Name: 'payments',
      Address: '127.0.0.1',
      Port: 9002 + i * 100,
      Check: { CheckID: 'payments-2-ttl', TTL: '10m', Status: 'passing' },
    });
  }
}, 240_000);
afterAll(async () => {
  await Promise.all([consul?.destroy(), secured?.destroy()]);
});

describe('ConsulCatalog (consul npm package) against Consul 1.16.3', () => {
  it('lists the passing instances only, with the index to block on', async () => {
    const catalog = new ConsulCatalog(endpoint(consul));
    await consul.register({
      ID: 'sick-1',
      Name: 'sick',
      Address: '127.0.0.1',
      Port: 7001,
      Check: { CheckID: 'sick-1-ttl', TTL: '10m', Status: 'critical' },
    });
    await consul.register({
      ID: 'sick-2',
      Name: 'sick',
      Address: '127.0.0.1',
      Port: 7002,
      Check: { CheckID: 'sick-2-ttl', TTL: '10m', Status: 'passing' },
    });
    const answer = await catalog.lookup({
      name: 'sick',
      namespace: 'default',
      index: 0n,
      waitSeconds: 5,
      signal: new AbortController().signal,
    });
    expect(answer.instances).toEqual([{ address: '127.0.0.1', port: 7002 }]);
    expect(answer.index).toBeGreaterThan(0n);
    const unknown = await catalog.lookup({
      name: 'nobody',
      namespace: 'default',
      index: 0n,
      waitSeconds: 5,
      signal: new AbortController().signal,
    });
    expect(unknown.instances).toEqual([]);
    catalog.close();
  });

  it('a blocking query returns when a check turns critical, not after `wait`', async () => {
    const catalog = new ConsulCatalog(endpoint(consul));
    await consul.register({
      ID: 'flip-1',
      Name: 'flip',
      Address: '127.0.0.1',
      Port: 7101,
      Check: { CheckID: 'flip-1-ttl', TTL: '10m', Status: 'passing' },
    });
    const first = await catalog.lookup({
      name: 'flip',
      namespace: 'default',
      index: 0n,
      waitSeconds: 5,
      signal: new AbortController().signal,
    });
    expect(ports(first.instances)).toEqual([7101]);
    const started = Date.now();
    const blocked = catalog.lookup({
      name: 'flip',
      namespace: 'default',
      index: first.index,
      waitSeconds: 30,
      signal: new AbortController().signal,
    });
    await new Promise((r) => setTimeout(r, 300));
    await consul.setTtl('flip-1-ttl', 'fail');
    const next = await blocked;
    expect(next.instances).toEqual([]);
    expect(Date.now() - started).toBeLessThan(10_000);
    catalog.close();
  });

  it('an aborted query ends at once', async () => {
    const catalog = new ConsulCatalog(endpoint(consul));
    const first = await catalog.lookup({
      name: 'payments',
      namespace: 'default',
      index: 0n,
      waitSeconds: 5,
      signal: new AbortController().signal,
    });
    const controller = new AbortController();
    // Consul may answer a blocking query early (a change elsewhere in what
    // it watches; seen under load): block again on the new index, as the
    // watch loop does, until the abort ends one.
    const blockUntilAborted = async (): Promise<void> => {
      let index = first.index;
      while (!controller.signal.aborted) {
        const answer = await catalog.lookup({
          name: 'payments',
          namespace: 'default',
          index,
          waitSeconds: 30,
          signal: controller.signal,
        });
        index = answer.index;
      }
    };
    const blocked = blockUntilAborted();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    await expect(blocked).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
    catalog.close();
  });

  it('an unreachable Consul is SERVICE_LOOKUP_FAILED naming the address', async () => {
    const catalog = new ConsulCatalog({ ...DEFAULT_SERVICES_CONFIG.consul, url: 'http://127.0.0.1:1' });
    const err = await driverRejection(
      catalog.lookup({
        name: 'payments',
        namespace: 'default',
        index: 0n,
        waitSeconds: 5,
        signal: new AbortController().signal,
      }),
    );
    expect(err.code).toBe('SERVICE_LOOKUP_FAILED');
    expect(err.message).toContain('Consul at http://127.0.0.1:1 could not list service "payments"');
    catalog.close();
  });
});

describe('TLS (https:// address, ca_cert)', () => {
  it('trusts the configured CA; without it the lookup fails with a certificate error, not a hang', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'consul-tls-'));
    const pem = (name: string) => join(dir, name);
    const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=test-ca',
      '-keyout',
      pem('ca.key'),
      '-out',
      pem('ca.pem'),
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
    );
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=server.dc1.consul',
      '-keyout',
      pem('server.key'),
      '-out',
      pem('server.csr'),
    );
    await writeFile(pem('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:server.dc1.consul\n');
    openssl(
      'x509',
      '-req',
      '-in',
      pem('server.csr'),
      '-CA',
      pem('ca.pem'),
      '-CAkey',
      pem('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      pem('server.pem'),
      '-extfile',
      pem('san.ext'),
    );
    const agent = await ConsulAgent.start({
      tls: { caFile: pem('ca.pem'), certFile: pem('server.pem'), keyFile: pem('server.key') },
    });
    try {
      await agent.register({
        ID: 'tls-1',
        Name: 'tls-svc',
        Address: '127.0.0.1',
        Port: 7401,
        Check: { CheckID: 'tls-1-ttl', TTL: '10m', Status: 'passing' },
      });
      const query = {
        name: 'tls-svc',
        namespace: 'default',
        index: 0n,
        waitSeconds: 5,
        signal: new AbortController().signal,
      };
      const trusted = new ConsulCatalog({
        ...DEFAULT_SERVICES_CONFIG.consul,
        url: agent.httpsUrl,
        caCertPem: await readFile(pem('ca.pem'), 'utf8'),
      });
      expect(ports((await trusted.lookup(query)).instances)).toEqual([7401]);
      trusted.close();
      const untrusted = new ConsulCatalog({ ...DEFAULT_SERVICES_CONFIG.consul, url: agent.httpsUrl });
      const err = await driverRejection(untrusted.lookup(query));
      expect(err.code).toBe('SERVICE_LOOKUP_FAILED');
      expect(err.message).toMatch(/certificate/i);
      untrusted.close();
    } finally {
      await agent.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('ACLs (default deny)', () => {
  const lookup = (token: string | undefined, name = 'payments') =>
    new ConsulCatalog(endpoint(secured, token)).lookup({
      name,
      namespace: 'default',
      index: 0n,
      waitSeconds: 5,
      signal: new AbortController().signal,
    });

  it('a least-privilege token (service:read + node:read) lists the instances', async () => {
    const token = await secured.tokenWithRules(
      'payments-reader',
      'service "payments" { policy = "read" }\nnode_prefix "" { policy = "read" }',
    );
    expect(ports((await lookup(token)).instances)).toEqual([9101, 9102]);
  });

  it('a token without service:read on the service is SERVICE_LOOKUP_DENIED naming the policy it needs, not an empty set', async () => {
    const token = await secured.tokenWithRules(
      'other-reader',
      'service "other" { policy = "read" }\nnode_prefix "" { policy = "read" }',
    );
    const err = await driverRejection(lookup(token));
    expect(err.code).toBe('SERVICE_LOOKUP_DENIED');
    expect(err.message).toContain('service "payments" { policy = "read" }');
  });

  it('a token without node:read is SERVICE_LOOKUP_DENIED too', async () => {
    const token = await secured.tokenWithRules('service-only', 'service "payments" { policy = "read" }');
    const err = await driverRejection(lookup(token));
    expect(err.code).toBe('SERVICE_LOOKUP_DENIED');
    expect(err.message).toContain('node_prefix "" { policy = "read" }');
  });

  it('an unknown token is SERVICE_LOOKUP_DENIED (403 "ACL not found"), and the token is not in the message', async () => {
    const token = '00000000-0000-4000-8000-000000000000';
    const err = await driverRejection(lookup(token));
    expect(err.code).toBe('SERVICE_LOOKUP_DENIED');
    expect(err.message).toMatch(/HTTP 403/);
    expect(err.message).not.toContain(token);
  });

  it('a starting task whose service the token may not read fails at once with the clear error, no hang', async () => {
    const token = await secured.tokenWithRules('nothing', 'node_prefix "" { policy = "read" }');
    const events: string[] = [];
    const services = new PluginServiceFeeds(
      new ServiceWatches(() => new ConsulCatalog(endpoint(secured, token)), log, { timing }),
      (_t, message) => events.push(message),
      log,
    );
    const started = Date.now();
    const err = await driverRejection(services.initialSets(task, [payments]));
    expect(err.code).toBe('SERVICE_LOOKUP_DENIED');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('shared watches', () => {
  it('one watch per service for all tasks; every task sees a check turning critical', async () => {
    const watches = new ServiceWatches(() => new ConsulCatalog(endpoint(consul)), log, { timing, lingerMs: 200 });
    const services = new PluginServiceFeeds(watches, () => undefined, log);
    const sent: Record<string, number[][]> = { a: [], b: [] };
    for (const id of ['a', 'b']) {
      const initial = await services.initialSets({ ...task, id }, [payments]);
      expect(ports(initial[0]?.instances)).toEqual([9001, 9002]);
      services.attach({ ...task, id }, [payments], (message) => (sent[id]?.push(ports(message.instances)), true));
    }
    expect(watches.size).toBe(1);
    const watch = watches.find({ ref: payments, namespace: 'default' });
    const roundsBefore = watch?.rounds ?? 0;
    await new Promise((r) => setTimeout(r, 1_000));
    // Idle: the blocking query waits; no hot loop.
    expect((watch?.rounds ?? 0) - roundsBefore).toBeLessThanOrEqual(1);

    await consul.setTtl('payments-2-ttl', 'fail');
    await until(
      () => sent,
      (s) => s['a']?.at(-1)?.join() === '9001' && s['b']?.at(-1)?.join() === '9001',
      'both tasks to drop 9002',
    );
    await consul.setTtl('payments-2-ttl', 'pass');
    await until(
      () => sent,
      (s) => s['a']?.at(-1)?.join() === '9001,9002' && s['b']?.at(-1)?.join() === '9001,9002',
      'both tasks to get 9002 back',
    );

    services.detach('a');
    expect(watches.size).toBe(1);
    services.detach('b');
    await until(
      () => watches.size,
      (size) => size === 0,
      'the unused watch to stop after lingering',
    );
    await watches.close();
  });

  it('keeps the last set while Consul is down, tells the task once, and follows changes after Consul is back', async () => {
    const agent = await ConsulAgent.start();
    try {
      await agent.register({
        ID: 'api-1',
        Name: 'api',
        Address: '127.0.0.1',
        Port: 7301,
        Check: { CheckID: 'api-1-ttl', TTL: '10m', Status: 'passing' },
      });
      const watches = new ServiceWatches(() => new ConsulCatalog(endpoint(agent)), log, { timing });
      const events: string[] = [];
      const services = new PluginServiceFeeds(watches, (_t, message) => events.push(message), log);
      const api = { provider: 'consul', name: 'api' } as const;
      const sets: number[][] = [];
      expect(ports((await services.initialSets(task, [api]))[0]?.instances)).toEqual([7301]);
      services.attach(task, [api], (message) => (sets.push(ports(message.instances)), true));
      const watch = watches.find({ ref: api, namespace: 'default' });

      await agent.stop();
      await until(
        () => watch?.current.kind,
        (kind) => kind === 'failing',
        'the watch to notice',
      );
      expect(watch?.current.kind === 'failing' && ports(watch.current.instances)).toEqual([7301]);
      await new Promise((r) => setTimeout(r, 1_500)); // several failed rounds: still one event
      expect(events.filter((e) => e.startsWith('Service lookup failed')).length).toBe(1);
      expect(events[0]).toMatch(
        /^Service lookup failed, keeping the last known instances of api\.service\.consul: Consul at http:\/\/127\.0\.0\.1:\d+ could not list service "api"/,
      );

      await agent.restart();
      await until(
        () => events,
        (e) => e.includes('Service lookup of api.service.consul works again'),
        'recovery event',
        30_000,
      );
      // A restarted agent reloads its services with TTL checks critical until the next heartbeat.
      await agent.setTtl('api-1-ttl', 'pass');
      await agent.register({
        ID: 'api-2',
        Name: 'api',
        Address: '127.0.0.1',
        Port: 7302,
        Check: { CheckID: 'api-2-ttl', TTL: '10m', Status: 'passing' },
      });
      await until(
        () => sets,
        (s) => s.at(-1)?.join() === '7301,7302',
        'the set after the restart',
        30_000,
      );
      services.detach(task.id);
      await watches.close();
    } finally {
      await agent.destroy();
    }
  });

  it('a start with Consul unreachable goes on after startWaitMs without the set, and says so', async () => {
    const events: string[] = [];
    const services = new PluginServiceFeeds(
      new ServiceWatches(
        () => new ConsulCatalog({ ...DEFAULT_SERVICES_CONFIG.consul, url: 'http://127.0.0.1:1' }),
        log,
        { timing },
      ),
      (_t, message) => events.push(message),
      log,
      { startWaitMs: 1_000 },
    );
    const sets = await services.initialSets(task, [payments]);
    expect(sets).toEqual([{ ref: payments, instances: null }]);
    expect(events[0]).toMatch(
      /^Service lookup failed for payments\.service\.consul \(none known yet\): Consul at http:\/\/127\.0\.0\.1:1/,
    );
  });
});
