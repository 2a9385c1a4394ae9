import { describe, expect, it } from 'vitest';
import { encode, ExtData } from '@msgpack/msgpack';
import { decodeTaskConfig } from '../../src/config/task-config.js';
import { decodePluginConfig, DEFAULT_CACHE_DIR } from '../../src/config/plugin-config.js';
import { DriverError } from '../../src/errors.js';

const hex = (s: string): Uint8Array => Buffer.from(s, 'hex');

/** Like go-cty: every attribute of the object present, absent ones as nil. */
function ctyObject(values: Record<string, unknown>): Uint8Array {
  const full = {
    allow_http: null,
    allow_services: null,
    args: null,
    component: null,
    env: null,
    http_instance: null,
    mount: null,
    pass_env: null,
    port: null,
    ...values,
  };
  const sorted = Object.fromEntries(Object.entries(full).sort(([a], [b]) => (a < b ? -1 : 1)));
  return encode(sorted);
}

describe('decodeTaskConfig', () => {
  it('decodes a full config', () => {
    const config = decodeTaskConfig(
      ctyObject({
        component: 'local/app.wasm',
        args: ['a'],
        env: { GREETING: 'hi' },
        pass_env: ['NOMAD_ALLOC_ID'],
        port: 'http',
      }),
    );
    expect(config).toEqual({
      component: 'local/app.wasm',
      args: ['a'],
      env: { GREETING: 'hi' },
      passEnv: ['NOMAD_ALLOC_ID'],
      port: 'http',
      mounts: [],
      allowHttp: [],
      allowServices: [],
      httpInstance: 'shared',
    });
  });

  it('accepts env as Nomad sends it for `env = { ... }`: a list of maps, merged', () => {
    const config = decodeTaskConfig(ctyObject({ component: 'c.wasm', env: [{ A: '1' }, { B: '2' }] }));
    expect(config.env).toEqual({ A: '1', B: '2' });
  });

  it('treats absent optional attributes (nil) as empty', () => {
    const config = decodeTaskConfig(ctyObject({ component: 'c.wasm' }));
    expect(config).toEqual({
      component: 'c.wasm',
      args: [],
      env: {},
      passEnv: [],
      port: undefined,
      mounts: [],
      allowHttp: [],
      allowServices: [],
      httpInstance: 'shared',
    });
  });

  it('decodes grants: mounts (read-only unless readonly = false), allow_http, http_instance', () => {
    const config = decodeTaskConfig(
      ctyObject({
        component: 'c.wasm',
        mount: [
          { source: 'local/static', destination: '/static', readonly: null },
          { source: 'alloc/data', destination: '/data', readonly: false },
        ],
        allow_http: ['api.example.com', '*.example.org:8443'],
        http_instance: 'per-request',
      }),
    );
    expect(config.mounts).toEqual([
      { source: 'local/static', destination: '/static', readOnly: true },
      { source: 'alloc/data', destination: '/data', readOnly: false },
    ]);
    expect(config.allowHttp).toEqual([
      { host: 'api.example.com', wildcard: false, port: undefined },
      { host: 'example.org', wildcard: true, port: 8443 },
    ]);
    expect(config.httpInstance).toBe('per-request');
  });

  it('names the field of a malformed grant', () => {
    expect(() => decodeTaskConfig(ctyObject({ component: 'c.wasm', allow_http: ['http://x.com/path'] }))).toThrow(
      /allow_http\[0\].*not host, host:port/,
    );
    expect(() => decodeTaskConfig(ctyObject({ component: 'c.wasm', http_instance: 'pooled' }))).toThrow(
      /http_instance.*"pooled"/,
    );
    expect(() =>
      decodeTaskConfig(
        ctyObject({ component: 'c.wasm', mount: [{ source: 'local', destination: null, readonly: null }] }),
      ),
    ).toThrow(/mount\[0\]\.destination.*required/);
  });

  it('accepts the plain msgpack maps Go test harnesses encode (missing keys)', () => {
    expect(decodeTaskConfig(encode({ component: 'x.wasm' })).component).toBe('x.wasm');
  });

  it.each([
    ['missing component', ctyObject({}), /"component": is required/],
    ['wrong type', ctyObject({ component: 'c', args: 'notalist' }), /"args": expected a list of strings/],
    [
      'bad env name',
      ctyObject({ component: 'c', env: { 'A-B': '1' } }),
      /"A-B" is not a valid environment variable name/,
    ],
    [
      'unknown value (cty ext 0, d4 00 00)',
      ctyObject({ component: new ExtData(0, new Uint8Array([0])) }),
      /value is unknown/,
    ],
    ['not a map', encode(['a']), /expected an object/],
    ['not msgpack', hex('c1'), /not valid msgpack/],
    ['empty', new Uint8Array(), /no driver config/],
  ])('rejects %s with TASK_CONFIG_INVALID naming the problem', (_name, bytes, message) => {
    let caught: unknown;
    try {
      decodeTaskConfig(bytes);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DriverError);
    expect((caught as DriverError).code).toBe('TASK_CONFIG_INVALID');
    expect((caught as DriverError).message).toMatch(message);
  });
});

describe('decodePluginConfig', () => {
  it('uses the defaults without a config block', () => {
    expect(decodePluginConfig(new Uint8Array()).cacheDir).toBe(DEFAULT_CACHE_DIR);
  });

  it('reads cache_dir', () => {
    expect(decodePluginConfig(encode({ cache_dir: '/srv/cache' })).cacheDir).toBe('/srv/cache');
  });

  it('rejects a relative cache_dir with PLUGIN_CONFIG_INVALID', () => {
    expect(() => decodePluginConfig(encode({ cache_dir: 'rel' }))).toThrow(/cache_dir": must be an absolute path/);
  });

  it('decodes operator ceilings; an unset allow_http means any host, an empty one none', () => {
    expect(decodePluginConfig(encode({ cache_dir: '/c' })).ceilings).toEqual({
      allowHttp: undefined,
      allowMounts: true,
      allowReadWriteMounts: true,
      maxMemoryMb: undefined,
    });
    const strict = decodePluginConfig(
      encode({
        cache_dir: '/c',
        allow_http: [],
        allow_mounts: true,
        allow_read_write_mounts: false,
        max_memory_mb: 256,
      }),
    );
    expect(strict.ceilings).toEqual({
      allowHttp: [],
      allowMounts: true,
      allowReadWriteMounts: false,
      maxMemoryMb: 256,
    });
    expect(() => decodePluginConfig(encode({ cache_dir: '/c', max_memory_mb: -1 }))).toThrow(
      /max_memory_mb": must be a positive/,
    );
  });
});
