// A job version's wasm task as Nomad's API shows it, read into the policy
// input's grant shape (the previous version, for drift; `nomad-wasm
// evidence`). The fixture is what Nomad 1.6.3 itself makes of
// fixtures/nomad-1.6.3-job-with-secrets.nomad.hcl (`nomad job run -output`):
// labelled blocks (secret, key_value_store) arrive as [{"db": [{…}]}], maps as a list of maps.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareGrants } from '../../src/policy/input-document.js';
import { wasmTaskOf } from '../../src/policy/job-history.js';

const job = (
  JSON.parse(readFileSync(new URL('./fixtures/nomad-1.6.3-job-with-secrets.json', import.meta.url), 'utf8')) as {
    Job: Record<string, unknown>;
  }
).Job;

describe("a job version's wasm task from Nomad's API", () => {
  it('reads every grant its config declares, in the input shape', () => {
    const task = wasmTaskOf({ ...job, Version: 3 }, 'g', 't', () => 'process');
    expect(task).toEqual({
      version: 3,
      component: 'local/a.wasm',
      grants: {
        env: ['A'],
        mounts: [{ source: 'local/x', destination: '/x', readonly: true }],
        allow_http: [],
        allow_services: [],
        key_value_stores: [{ label: 'default', consul_prefix: 'apps/s/default' }],
        secrets: [
          { name: 'db', path: 'database/creds/app', field: null },
          { name: 'api', path: 'kv/data/app', field: 'k' },
        ],
        config_keys: ['api', 'db.username'],
        config_values: ['log'],
        secret_env: [],
        sockets: false,
        isolation: 'process',
        // `-output` is the job before the server fills in default resources.
        memory_max_mb: null,
        http_instance: 'shared',
        port: null,
        args: [],
      },
    });
  });

  it('is null for a task that is not there or not a wasm task', () => {
    expect(wasmTaskOf(job, 'g', 'other', () => 'process')).toBeNull();
    expect(wasmTaskOf(job, 'nope', 't', () => 'process')).toBeNull();
  });

  it('drift lists what was added and removed per grant', () => {
    const before = wasmTaskOf({ ...job, Version: 0 }, 'g', 't', () => 'process')?.grants;
    if (!before) throw new Error('fixture has no wasm task');
    const after = {
      ...before,
      allow_http: ['api.example.com'],
      env: [],
      memory_max_mb: 512,
      key_value_stores: [...before.key_value_stores, { label: 'cache', consul_prefix: 'apps/s/cache' }],
    };
    expect(compareGrants(before, after)).toEqual({
      added: { allow_http: ['api.example.com'], memory_max_mb: ['512'], key_value_stores: ['cache=apps/s/cache'] },
      removed: { env: ['A'] },
    });
  });
});
