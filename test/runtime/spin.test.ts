// A Spin app (Python, spin-sdk 3.4.1 from PyPI: test/components/python/spin-py-app)
// served by a real task host: Spin variables from the task's config grants,
// the interfaces this driver does not back answering "not available" while
// the app keeps serving, and key-value stores denied unless granted. Stores
// backed by a real Consul are in test/services/consul-kv.test.ts.
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareComponent } from '../../src/runtime/component-cache.js';
import { COMPONENTS, useTaskHostDir } from './support/task-host.js';

const hosts = useTaskHostDir('spin-');
let url = '';
let host: ChildProcess;
let stderr = '';

async function get(path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${url}${path}`);
  return { status: response.status, body: await response.text() };
}

beforeAll(async () => {
  // The app is a 37 MB component: transpiled once here, not inside a start's wait.
  await prepareComponent(join(COMPONENTS, 'spin-py-app.wasm'), join(hosts.dir(), 'cache'));
  ({ host, url } = await hosts.serve({
    component: 'spin-py-app',
    grants: {
      memoryMaxMiB: 256,
      config: {
        values: { greeting: 'hello from the job', 'db.password': 'from a dotted key' },
        secretKeys: [],
        secretEnv: {},
      },
    },
  }));
  host.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
}, 240_000);

describe('a Spin app built with spin-sdk 3.4.1', () => {
  it('starts as a wasi:http service and answers', async () => {
    expect(await get('/')).toEqual({ status: 200, body: 'hello from a Spin app in Python' });
  });

  it('reads variables from config_values, by name and by the variable name of a dotted key', async () => {
    expect(await get('/variables/greeting')).toEqual({ status: 200, body: 'hello from the job' });
    expect(await get('/variables/db_password')).toEqual({ status: 200, body: 'from a dotted key' });
    // The same source as wasi:config/store.
    expect(await get('/config/greeting')).toEqual({ status: 200, body: 'hello from the job' });
  });

  it('answers a variable the job does not grant as undefined, and a bad name as invalid-name', async () => {
    const undefinedVariable = await get('/variables/api_token');
    expect(undefinedVariable.status).toBe(500);
    expect(undefinedVariable.body).toBe(
      'Error_Undefined: no variable "api_token": the job grants no config value or secret key by that name (config_values, config_keys)',
    );
    expect((await get('/variables/Greeting')).body).toMatch(
      /^Error_InvalidName: "Greeting": variable names may contain only/,
    );
  });

  it('answers each Spin interface it does not back with "not available", and keeps serving', async () => {
    const expected: Record<string, string> = {
      sqlite: 'Error_Io: SQLite (fermyon:spin/sqlite)',
      'spin-sqlite': 'Error_Io: SQLite (spin:sqlite/sqlite)',
      redis: 'Error_Other: Outbound Redis (fermyon:spin/redis)',
      postgres: 'Error_Other: Outbound PostgreSQL (fermyon:spin/postgres)',
      'spin-postgres': 'Error_Other: Outbound PostgreSQL (spin:postgres/postgres)',
      mysql: 'Error_Other: Outbound MySQL (fermyon:spin/mysql)',
      mqtt: 'Error_Other: Outbound MQTT (fermyon:spin/mqtt)',
      llm: 'Error_RuntimeError: Spin LLM inferencing (fermyon:spin/llm)',
    };
    for (const [what, prefix] of Object.entries(expected)) {
      const answer = await get(`/unavailable/${what}`);
      expect(answer.status, what).toBe(500);
      expect(answer.body, what).toBe(
        `${prefix} is not available on the Nomad wasm driver (nomad-driver-wasm); see its README, "Spin apps"`,
      );
    }
    expect((await get('/')).status).toBe(200);
  });

  it('denies a key-value store the job does not grant, through both interfaces, and says how to grant it', async () => {
    expect(await get('/kv/default/anything')).toEqual({ status: 500, body: 'Error_AccessDenied: ' });
    expect(await get('/wasi-kv/default/anything')).toEqual({ status: 500, body: 'Error_AccessDenied: ' });
    await expect
      .poll(() => stderr, { timeout: 5000 })
      .toContain(
        'key-value store "default" denied: not granted to this task (granted: none); grant it with key_value_store "default" { consul_prefix = "..." } in the task config',
      );
  });

  it('sends outbound HTTP only to allow_http (none here)', async () => {
    expect(await get('/outbound?url=http://127.0.0.1:9/')).toEqual({
      status: 500,
      body: 'ErrorCode_HttpRequestDenied: ',
    });
  });
});
