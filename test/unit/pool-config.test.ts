// The pooled tier's switches: the plugin's `isolation` and `pool_max_tasks`
// (decoded from what Nomad sends, and present in the schema Nomad decodes
// with, or Nomad would refuse the agent's config), and the rule for tasks a
// pool does not run (src/task/pool-eligibility.ts).
import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { decodePluginConfig, DEFAULT_POOL_MAX_TASKS, pluginConfigSpec } from '../../src/config/plugin-config.js';
import { decodeTaskConfig } from '../../src/config/task-config.js';
import { DriverError } from '../../src/errors.js';
import { whyNotPooled } from '../../src/task/pool-eligibility.js';

const plugin = (values: Record<string, unknown>) => decodePluginConfig(encode({ cache_dir: '/c', ...values }));
const task = (values: Record<string, unknown>) => decodeTaskConfig(encode({ component: 'local/app.wasm', ...values }));

function refused(values: Record<string, unknown>): string {
  try {
    plugin(values);
  } catch (err) {
    expect(err).toBeInstanceOf(DriverError);
    expect((err as DriverError).code).toBe('PLUGIN_CONFIG_INVALID');
    return (err as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('plugin config: isolation', () => {
  it('is a process per task unless the operator asks for pooling', () => {
    expect(plugin({}).isolation).toEqual({ mode: 'process' });
    expect(decodePluginConfig(new Uint8Array()).isolation).toEqual({ mode: 'process' });
    expect(plugin({ isolation: 'process', pool_max_tasks: 4 }).isolation).toEqual({ mode: 'process' });
  });

  it('pooled, with pool_max_tasks tasks per pool host', () => {
    expect(plugin({ isolation: 'pooled' }).isolation).toEqual({ mode: 'pooled', maxTasks: DEFAULT_POOL_MAX_TASKS });
    expect(plugin({ isolation: 'pooled', pool_max_tasks: 100 }).isolation).toEqual({ mode: 'pooled', maxTasks: 100 });
  });

  it('refuses other values, naming the field', () => {
    expect(refused({ isolation: 'thread' })).toMatch(
      /config field "isolation": must be "process" or "pooled", got "thread"/,
    );
    expect(refused({ isolation: 'pooled', pool_max_tasks: 0 })).toMatch(
      /config field "pool_max_tasks": must be a whole number of tasks, at least 1/,
    );
    expect(refused({ isolation: 'pooled', pool_max_tasks: 2.5 })).toMatch(/pool_max_tasks/);
  });

  it('is in the schema the plugin gives Nomad, with its defaults', () => {
    const attributes = pluginConfigSpec.object?.attributes ?? {};
    expect(attributes['isolation']).toEqual({
      default: {
        primary: { Attr: { name: 'isolation', type: 'string', required: false } },
        default: { literal: { value: '"process"' } },
      },
    });
    expect(attributes['pool_max_tasks']?.default?.default?.literal?.value).toBe(String(DEFAULT_POOL_MAX_TASKS));
  });
});

describe('which tasks a pool runs', () => {
  it('commands and services, whatever their grants, instance mode or config values', () => {
    expect(whyNotPooled(task({}))).toBeUndefined();
    expect(
      whyNotPooled(
        task({ port: 'http', http_instance: 'per-request', allow_http: ['api.example.com'], env: [{ A: 'b' }] }),
      ),
    ).toBeUndefined();
    expect(whyNotPooled(task({ config_values: [{ log_level: 'info' }] }))).toBeUndefined();
  });

  it('not a task with Vault secrets, nor one with allow_services: each says why', () => {
    expect(
      whyNotPooled(
        task({
          secret: { db: { path: 'database/creds/app', field: null, version: null } },
          config_keys: ['db.password'],
        }),
      ),
    ).toMatch(/^it has Vault secret blocks/);
    expect(whyNotPooled(task({ allow_services: ['payments'] }))).toMatch(/^it has allow_services/);
  });
});
