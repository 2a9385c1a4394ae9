// A Spin 4 app (Python, spin-sdk 5.0.0 and componentize-py 0.25.1 from
// PyPI: test/components/python/spin4-py-app) served by real task hosts as a
// WASI 0.3 service, in both http_instance modes: Spin variables through the
// async spin:variables@3.0.0 from the task's config grants (deny by
// default), the async Spin interfaces this driver does not back answering
// "not available" while the app keeps serving, and key-value stores denied
// unless granted. Stores backed by a real Consul are in
// test/services/consul-kv.test.ts.
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareComponent } from '../../src/runtime/component-cache.js';
import { COMPONENTS, useTaskHostDir } from './support/task-host.js';

const hosts = useTaskHostDir('spin4-');

beforeAll(async () => {
  // A 25 MB component: transpiled once here, not inside a start's wait.
  const prepared = await prepareComponent(join(COMPONENTS, 'spin4-py-app.wasm'), join(hosts.dir(), 'cache'));
  expect(prepared.wasi).toBe('0.3');
}, 240_000);

for (const mode of ['shared', 'per-request'] as const) {
  describe(`a Spin 4 app built with spin-sdk 5.0.0 (http_instance = "${mode}")`, () => {
    let url = '';
    let host: ChildProcess;
    let stderr = '';
    const get = async (path: string): Promise<{ status: number; body: string }> => {
      const response = await fetch(`${url}${path}`);
      return { status: response.status, body: await response.text() };
    };

    beforeAll(async () => {
      ({ host, url } = await hosts.serve({
        component: 'spin4-py-app',
        grants: {
          memoryMaxMiB: 256,
          httpInstance: mode,
          config: {
            values: { greeting: 'hello from the job', 'db.password': 'from a dotted key' },
            secretKeys: [],
            secretEnv: {},
          },
        },
      }));
      host.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    }, 240_000);

    it('starts as a wasi:http 0.3 service and answers', async () => {
      expect(await get('/')).toEqual({ status: 200, body: 'hello from a Spin 4 app in Python' });
    });

    it('reads variables from config_values through spin:variables@3.0.0, by name and by a dotted key', async () => {
      expect(await get('/variables/greeting')).toEqual({ status: 200, body: 'hello from the job' });
      expect(await get('/variables/db_password')).toEqual({ status: 200, body: 'from a dotted key' });
    });

    it('answers a variable the job does not grant as undefined, and a bad name as invalid-name', async () => {
      expect(await get('/variables/api_token')).toEqual({
        status: 500,
        body: 'Error_Undefined: no variable "api_token": the job grants no config value or secret key by that name (config_values, config_keys)',
      });
      expect((await get('/variables/Greeting')).body).toMatch(
        /^Error_InvalidName: "Greeting": variable names may contain only/,
      );
    });

    it('answers each async Spin 4 interface it does not back with "not available", and keeps serving', async () => {
      const expected: Record<string, string> = {
        redis: 'Error_Other: Outbound Redis (spin:redis/redis)',
        mqtt: 'Error_Other: Outbound MQTT (spin:mqtt/mqtt)',
        mysql: 'Error_Other: Outbound MySQL (spin:mysql/mysql)',
        sqlite: 'Error_Io: SQLite (spin:sqlite/sqlite)',
        postgres: 'Error_Other: Outbound PostgreSQL (spin:postgres/postgres)',
      };
      for (const [what, prefix] of Object.entries(expected)) {
        expect(await get(`/unavailable/${what}`), what).toEqual({
          status: 500,
          body: `${prefix} is not available on the Nomad wasm driver (nomad-driver-wasm); see its README, "Spin apps"`,
        });
      }
      expect((await get('/')).status).toBe(200);
    });

    it('denies a key-value store the job does not grant through spin:key-value@3.0.0, and says how to grant it', async () => {
      expect(await get('/kv/default/anything')).toEqual({ status: 500, body: 'Error_AccessDenied: ' });
      expect(await get('/kv-keys/default')).toEqual({ status: 500, body: 'Error_AccessDenied: ' });
      await expect
        .poll(() => stderr, { timeout: 5000 })
        .toContain(
          'key-value store "default" denied: not granted to this task (granted: none); grant it with key_value_store "default" { consul_prefix = "..." } in the task config',
        );
    });
  });
}
