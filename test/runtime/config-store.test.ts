// wasi:config/store in real components, in each version the host serves
// (0.2.0-draft, Spin's 0.2.0-draft-2024-09-27, 0.2.0-rc.1): plain config
// values from the job, get and get-all, nothing else. Secrets from Vault go
// through the same interface (test/vault).
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providesImport } from '../../src/wasi/host.ts';
import { startHost } from './support/task-host.ts';

let dir: string;
const hosts: ChildProcess[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'config-store-'));
});
afterAll(async () => {
  for (const host of hosts) host.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function serve(component: string, values: Record<string, string>): Promise<string> {
  const port = await freePort();
  hosts.push(startHost({ component, dir, http: { host: '127.0.0.1', port }, grants: { config: { values, secretKeys: [], secretEnv: {} } } }));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (await fetch(`${url}/all`).then(() => true, () => false)) return url;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${component} did not start serving`);
}

async function get(url: string, path: string): Promise<[number, string]> {
  const response = await fetch(`${url}${path}`);
  return [response.status, await response.text()];
}

describe('wasi:config/store', () => {
  it.each(['config-http', 'config-http-spin', 'config-http-rc'])('%s: get and get-all answer with the job\'s values only', async (component) => {
    const url = await serve(component, { log_level: 'debug', 'feature.beta': 'on' });
    expect(await get(url, '/get/log_level')).toEqual([200, 'debug']);
    expect(await get(url, '/get/feature.beta')).toEqual([200, 'on']);
    expect(await get(url, '/get/LOG_LEVEL')).toEqual([404, 'none']);
    expect(await get(url, '/all')).toEqual([200, 'feature.beta=on\nlog_level=debug\n']);
  });

  it('a task without config grants sees an empty store', async () => {
    const port = await freePort();
    hosts.push(startHost({ component: 'config-http', dir, http: { host: '127.0.0.1', port } }));
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 300 && !(await fetch(`${url}/all`).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await get(url, '/all')).toEqual([200, '']);
    expect(await get(url, '/get/anything')).toEqual([404, 'none']);
  });

  it('serves only the versions of the interface it knows', () => {
    expect(providesImport('wasi:config/store@0.2.0-draft')).toBe(true);
    expect(providesImport('wasi:config/store@0.2.0-draft-2024-09-27')).toBe(true);
    expect(providesImport('wasi:config/store@0.2.0-rc.1')).toBe(true);
    expect(providesImport('wasi:config/store@0.3.0')).toBe(false);
    expect(providesImport('wasi:http/types@0.2.12')).toBe(true);
    expect(providesImport('wasi:keyvalue/store@0.2.0-draft2')).toBe(false);
  });
});
