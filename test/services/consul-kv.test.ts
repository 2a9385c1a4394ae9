// Key-value stores backed by a real Consul 1.16.3 (ACLs on, default deny):
// the Spin app (spin-sdk 3.4.1) in real task hosts reading what an operator
// put into Consul KV, writing, listing, counting under contention, kept to
// its prefix and its token; the Spin 4 app (spin-sdk 5.0.0, WASI 0.3) doing
// the same through the async spin:key-value@3.0.0 in both http_instance
// modes; and the store itself (dist/spin/consul-kv.js) over TLS. The Spin 3
// app's calls are synchronous, each through the sync fetch worker like
// outbound HTTP; the Spin 4 app's are async and sent from the task host's
// thread.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareComponent } from '../../src/runtime/component-cache.ts';
import type { KeyValueBackend, KeyValueStoreGrant } from '../../src/spin/granted-stores.ts';
import { ConsulAgent } from '../support/consul-agent.ts';
import { makeServerCertificate } from '../support/tls-certs.ts';
import { COMPONENTS, useTaskHostDir } from '../runtime/support/task-host.ts';

// From dist: its sync fetch worker is a file next to it.
const { ConsulKvBucket } = (await import(
  new URL('../../dist/spin/consul-kv.js', import.meta.url).href
)) as typeof import('../../src/spin/consul-kv.ts');

const hosts = useTaskHostDir('consul-kv-');
let consul: ConsulAgent;
let appToken: string;
let readOnlyToken: string;

const STORE: KeyValueStoreGrant = { label: 'default', consulPrefix: 'apps/cart/default' };

beforeAll(async () => {
  consul = await ConsulAgent.start({ acl: true });
  appToken = await consul.tokenWithRules('cart-kv', 'key_prefix "apps/cart/" { policy = "write" }');
  readOnlyToken = await consul.tokenWithRules('cart-kv-read', 'key_prefix "apps/cart/" { policy = "read" }');
  // What an operator (or another service) put there.
  await putKv(consul, 'apps/cart/default/greeting', 'hello from Consul KV');
  await putKv(consul, 'apps/other/secret', 'not for the cart');
  await prepareComponent(join(COMPONENTS, 'spin-py-app.wasm'), join(hosts.dir(), 'cache'));
  await prepareComponent(join(COMPONENTS, 'spin4-py-app.wasm'), join(hosts.dir(), 'cache'));
}, 240_000);

afterAll(async () => {
  await consul?.destroy();
});

/** A raw value into Consul KV, as `consul kv put` writes it. */
async function putKv(agent: ConsulAgent, key: string, value: string): Promise<void> {
  const response = await fetch(`${agent.url}/v1/kv/${key}`, {
    method: 'PUT',
    body: value,
    headers: agent.managementToken ? { 'x-consul-token': agent.managementToken } : {},
  });
  expect(await response.text()).toBe('true');
}

async function serve(
  backend: KeyValueBackend,
  stores: KeyValueStoreGrant[] = [STORE],
  component = 'spin-py-app',
  httpInstance: 'shared' | 'per-request' = 'shared',
) {
  const served = await hosts.serve({
    component,
    grants: { memoryMaxMiB: 256, keyValueStores: stores, httpInstance },
    keyValue: backend,
  });
  let stderr = '';
  served.host.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const call = async (method: string, path: string, body?: string) => {
    const response = await fetch(`${served.url}${path}`, { method, ...(body === undefined ? {} : { body }) });
    return { status: response.status, body: await response.text() };
  };
  return { ...served, call, stderr: () => stderr };
}

describe('a Spin app with key_value_store "default" on Consul KV', () => {
  let app: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    app = await serve({ consul: { url: consul.url }, nodeToken: appToken });
  }, 120_000);

  it('reads what was put into Consul, through fermyon:spin/key-value and wasi:keyvalue', async () => {
    expect(await app.call('GET', '/kv/default/greeting')).toEqual({ status: 200, body: 'hello from Consul KV' });
    expect(await app.call('GET', '/wasi-kv/default/greeting')).toEqual({ status: 200, body: 'hello from Consul KV' });
    expect(await app.call('GET', '/kv/default/missing')).toEqual({ status: 404, body: 'no such key' });
  });

  it('writes, lists, checks and deletes keys under the store prefix only', async () => {
    expect((await app.call('PUT', '/kv/default/cart%2F42', 'two apples')).status).toBe(200);
    expect(await consul.api<{ Value: string }[]>('GET', '/v1/kv/apps/cart/default/cart/42')).toMatchObject([
      { Value: Buffer.from('two apples').toString('base64') },
    ]);
    expect(await app.call('GET', '/kv-keys/default')).toEqual({ status: 200, body: 'cart/42\ngreeting' });
    expect(await app.call('GET', '/kv-exists/default/cart%2F42')).toEqual({ status: 200, body: 'true' });
    expect((await app.call('DELETE', '/kv/default/cart%2F42')).status).toBe(200);
    expect(await app.call('GET', '/kv-exists/default/cart%2F42')).toEqual({ status: 200, body: 'false' });
  });

  it('cannot leave its prefix: keys with .. are refused, other prefixes are not listed or reached', async () => {
    const escape = await app.call('GET', '/kv/default/..%2F..%2Fother%2Fsecret');
    expect(escape.status).toBe(500);
    expect(escape.body).toBe(
      'Error_Other: key "../../other/secret" is not allowed: a key may not start or end with "/", or hold "//", "." or ".." segments',
    );
    expect((await app.call('GET', '/kv-keys/default')).body).not.toContain('secret');
    expect((await app.call('GET', '/kv/default/%2Fapps%2Fother%2Fsecret')).status).toBe(500);
  });

  it('denies a label the job does not grant, saying how to grant it', async () => {
    expect(await app.call('GET', '/kv/sessions/x')).toEqual({ status: 500, body: 'Error_AccessDenied: ' });
    await expect
      .poll(() => app.stderr(), { timeout: 5000 })
      .toContain('key-value store "sessions" denied: not granted to this task (granted: default)');
  });

  it('counts with wasi:keyvalue/atomics increment, exactly, while two task hosts race on one key', async () => {
    const other = await serve({ consul: { url: consul.url }, nodeToken: appToken });
    const increments = [app, other].flatMap((host) =>
      Array.from({ length: 10 }, () => host.call('POST', '/wasi-kv-incr/default/visits?by=1')),
    );
    const answers = await Promise.all(increments);
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    // Each increment saw a distinct count: compare-and-swap, no lost update.
    expect(answers.map((answer) => Number(answer.body)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect(await app.call('GET', '/kv/default/visits')).toEqual({ status: 200, body: '20' });
    other.host.kill('SIGTERM');
  }, 120_000);
});

for (const mode of ['shared', 'per-request'] as const) {
  describe(`a Spin 4 app (spin-sdk 5.0.0) with key_value_store "default" on Consul KV, http_instance = "${mode}"`, () => {
    let app: Awaited<ReturnType<typeof serve>>;
    const store: KeyValueStoreGrant = { label: 'default', consulPrefix: `apps/cart/spin4-${mode}` };
    beforeAll(async () => {
      await putKv(consul, `apps/cart/spin4-${mode}/greeting`, 'hello from Consul KV to Spin 4');
      app = await serve({ consul: { url: consul.url }, nodeToken: appToken }, [store], 'spin4-py-app', mode);
    }, 120_000);

    it('reads what was put into Consul through spin:key-value@3.0.0', async () => {
      expect(await app.call('GET', '/kv/default/greeting')).toEqual({
        status: 200,
        body: 'hello from Consul KV to Spin 4',
      });
      expect(await app.call('GET', '/kv/default/missing')).toEqual({ status: 404, body: 'no such key' });
    });

    it('writes, lists (a stream of keys), checks and deletes keys under the store prefix only', async () => {
      expect(await app.call('PUT', '/kv/default/cart%2F7', 'three pears')).toEqual({ status: 200, body: 'stored' });
      expect(await consul.api<{ Value: string }[]>('GET', `/v1/kv/apps/cart/spin4-${mode}/cart/7`)).toMatchObject([
        { Value: Buffer.from('three pears').toString('base64') },
      ]);
      expect(await app.call('GET', '/kv-keys/default')).toEqual({ status: 200, body: 'cart/7\ngreeting' });
      expect(await app.call('GET', '/kv-exists/default/cart%2F7')).toEqual({ status: 200, body: 'true' });
      expect(await app.call('DELETE', '/kv/default/cart%2F7')).toEqual({ status: 200, body: 'deleted' });
      expect(await app.call('GET', '/kv-exists/default/cart%2F7')).toEqual({ status: 200, body: 'false' });
      expect(await consul.api<unknown>('GET', `/v1/kv/apps/cart/spin4-${mode}/cart/7`).catch(String)).toMatch(/404/);
    });

    it('cannot leave its prefix: keys with .. are refused', async () => {
      expect(await app.call('GET', '/kv/default/..%2F..%2Fother%2Fsecret')).toEqual({
        status: 500,
        body: 'Error_Other: key "../../other/secret" is not allowed: a key may not start or end with "/", or hold "//", "." or ".." segments',
      });
    });

    it('denies a label the job does not grant, saying how to grant it', async () => {
      expect(await app.call('GET', '/kv/sessions/x')).toEqual({ status: 500, body: 'Error_AccessDenied: ' });
      await expect
        .poll(() => app.stderr(), { timeout: 5000 })
        .toContain('key-value store "sessions" denied: not granted to this task (granted: default)');
    });

    it('answers 20 concurrent reads, each with the value', async () => {
      const answers = await Promise.all(Array.from({ length: 20 }, () => app.call('GET', '/kv/default/greeting')));
      expect(answers.map((answer) => answer.body)).toEqual(Array(20).fill('hello from Consul KV to Spin 4'));
    }, 120_000);
  });
}

describe('a Spin 4 app while its store call is out', () => {
  it('answers other requests: the async call does not block the task host', async () => {
    // A fake, named as such: a Consul that holds its answer until told (a real
    // one cannot be made to stall one request). With a blocking call, as the
    // Spin 3 interfaces make, "/" could not answer until it was released.
    const held: ServerResponse[] = [];
    const stalled = createServer((_request, response) => held.push(response));
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    const { port } = stalled.address() as AddressInfo;
    try {
      const app = await serve({ consul: { url: `http://127.0.0.1:${port}` } }, [STORE], 'spin4-py-app');
      const read = app.call('GET', '/kv/default/greeting');
      await expect.poll(() => held.length, { timeout: 30_000 }).toBe(1);
      expect(await app.call('GET', '/')).toEqual({ status: 200, body: 'hello from a Spin 4 app in Python' });
      held[0]?.end(JSON.stringify([{ Value: Buffer.from('released').toString('base64'), ModifyIndex: 7 }]));
      expect(await read).toEqual({ status: 200, body: 'released' });
      app.host.kill('SIGTERM');
    } finally {
      for (const response of held) response.destroy();
      stalled.close();
    }
  }, 120_000);
});

describe("the store's token, to a Spin 4 app", () => {
  it('a read-only token reads, and a write fails with the policy the token needs', async () => {
    const app = await serve({ consul: { url: consul.url }, nodeToken: readOnlyToken }, [STORE], 'spin4-py-app');
    expect((await app.call('GET', '/kv/default/greeting')).body).toBe('hello from Consul KV');
    const write = await app.call('PUT', '/kv/default/x', 'y');
    expect(write.status).toBe(500);
    expect(write.body).toMatch(
      /^Error_Other: key-value store "default": Consul at http:\/\/127\.0\.0\.1:\d+ refused the store's token \(403: Permission denied.*\); it needs key_prefix "apps\/cart\/default\/" \{ policy = "write" \}$/,
    );
    app.host.kill('SIGTERM');
  }, 120_000);

  it('an unreachable Consul is an error of that call, not of the task', async () => {
    const app = await serve({ consul: { url: 'http://127.0.0.1:9' }, nodeToken: appToken }, [STORE], 'spin4-py-app');
    const read = await app.call('GET', '/kv/default/greeting');
    expect(read.status).toBe(500);
    expect(read.body).toMatch(
      /^Error_Other: key-value store "default": Consul at http:\/\/127\.0\.0\.1:9 did not answer \(connection-refused\)/,
    );
    expect((await app.call('GET', '/')).status).toBe(200);
    app.host.kill('SIGTERM');
  }, 120_000);
});

describe("the store's token", () => {
  it('a read-only token reads, and a write fails with the policy the token needs', async () => {
    const app = await serve({ consul: { url: consul.url }, nodeToken: readOnlyToken });
    expect((await app.call('GET', '/kv/default/greeting')).body).toBe('hello from Consul KV');
    const write = await app.call('PUT', '/kv/default/x', 'y');
    expect(write.status).toBe(500);
    expect(write.body).toMatch(
      /^Error_Other: key-value store "default": Consul at http:\/\/127\.0\.0\.1:\d+ refused the store's token \(403: Permission denied.*\); it needs key_prefix "apps\/cart\/default\/" \{ policy = "write" \}$/,
    );
    await expect.poll(() => app.stderr(), { timeout: 5000 }).toContain("refused the store's token (403");
    app.host.kill('SIGTERM');
  }, 120_000);

  it('without a token, Consul with ACLs denies the read, and the app is told so', async () => {
    const app = await serve({ consul: { url: consul.url } });
    const read = await app.call('GET', '/kv/default/greeting');
    expect(read.status).toBe(500);
    expect(read.body).toContain('it needs key_prefix "apps/cart/default/" { policy = "read" }');
    app.host.kill('SIGTERM');
  }, 120_000);

  it('an unreachable Consul is an error of that call, not of the task', async () => {
    const app = await serve({ consul: { url: 'http://127.0.0.1:9' }, nodeToken: appToken });
    const read = await app.call('GET', '/kv/default/greeting');
    expect(read.status).toBe(500);
    expect(read.body).toMatch(
      /^Error_Other: key-value store "default": Consul at http:\/\/127\.0\.0\.1:9 did not answer \(connection-refused\)/,
    );
    expect((await app.call('GET', '/')).status).toBe(200);
    app.host.kill('SIGTERM');
  }, 120_000);
});

describe('Consul over TLS (the node consul block: https address, ca_cert)', () => {
  it('trusts the configured CA, and refuses without it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'consul-kv-tls-'));
    const tls = await makeServerCertificate(dir, 'server.dc1.consul');
    const agent = await ConsulAgent.start({ tls });
    try {
      await putKv(agent, 'apps/tls/k', 'over tls');
      const store = (caCertPem?: string) =>
        new ConsulKvBucket({
          label: 'default',
          prefix: 'apps/tls',
          endpoint: { url: agent.httpsUrl, ...(caCertPem ? { caCertPem } : {}) },
          token: () => undefined,
        });
      const trusted = store(await readFile(tls.caFile, 'utf8'));
      expect(Buffer.from(trusted.get('k') ?? []).toString()).toBe('over tls');
      // The async side (spin:key-value@3.0.0) connects the same way.
      expect(Buffer.from((await trusted.async.get('k')) ?? []).toString()).toBe('over tls');
      await expect(store().async.get('k')).rejects.toThrow(/did not answer \(TLS-certificate-error\)/);
      trusted.set('written', Buffer.from('back'));
      expect(await agent.api<{ Value: string }[]>('GET', '/v1/kv/apps/tls/written')).toMatchObject([
        { Value: Buffer.from('back').toString('base64') },
      ]);
      expect(() => store().get('k')).toThrow(
        /^key-value store "default": Consul at https:\/\/127\.0\.0\.1:\d+ did not answer \(TLS-certificate-error\): .*unable to verify the first certificate/,
      );
    } finally {
      await agent.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('compare-and-swap: a write at an old version does not land', async () => {
    const bucket = new ConsulKvBucket({
      label: 'default',
      prefix: 'apps/cart/cas',
      endpoint: { url: consul.url },
      token: () => appToken,
    });
    expect(bucket.setIfVersion('k', Buffer.from('first'), 0n)).toBe(true);
    expect(bucket.setIfVersion('k', Buffer.from('again'), 0n)).toBe(false); // exists already
    const { version } = bucket.getVersioned('k');
    bucket.set('k', Buffer.from('moved on'));
    expect(bucket.setIfVersion('k', Buffer.from('stale'), version)).toBe(false);
    expect(Buffer.from(bucket.get('k') ?? []).toString()).toBe('moved on');
  });
});
