// A Spin app's spin.toml against the grants of its Nomad job: the real
// manifest of the test app (test/components/python/spin-py-app/spin.toml)
// and variants of it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DriverError } from '../../src/errors.ts';
import { checkSpinGrants, type SpinJobGrants } from '../../src/spin/manifest-check.ts';
import { readSpinManifest } from '../../src/spin/manifest.ts';
import { parseAllowEntry, type AllowEntry } from '../../src/wasi/http-allow-list.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const APP_MANIFEST = readFileSync(join(ROOT, 'test/components/python/spin-py-app/spin.toml'), 'utf8');

const allow = (...entries: string[]): AllowEntry[] => entries.map((e) => parseAllowEntry(e) as AllowEntry);

/** What the README's job for the test app grants. */
const JOB: SpinJobGrants = {
  keyValueStores: [{ label: 'default', consulPrefix: 'apps/spin-py-app/default' }],
  allowHttp: allow('api.example.com'),
  configValueKeys: ['greeting'],
  configKeys: ['api_token'],
  servesHttp: true,
};

function refusal(run: () => unknown, code: string): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(DriverError);
    expect((err as DriverError).code).toBe(code);
    return (err as Error).message;
  }
  throw new Error(`expected ${code}`);
}

describe('spin.toml', () => {
  it('reads what the test app asks for', () => {
    expect(readSpinManifest(APP_MANIFEST, 'spin.toml')).toEqual({
      id: 'spin-py-app',
      source: 'app.wasm',
      keyValueStores: ['default'],
      allowedOutboundHosts: ['https://api.example.com'],
      variables: { greeting: '{{ greeting }}', api_token: '{{ api_token }}' },
      httpRoutes: ['/...'],
      otherTriggers: [],
    });
  });

  it('passes the job that grants all of it', () => {
    expect(checkSpinGrants(readSpinManifest(APP_MANIFEST, 'spin.toml'), JOB, 'spin.toml')).toEqual([]);
  });

  it('names each missing grant with the config to add', () => {
    const needs = readSpinManifest(APP_MANIFEST, 'spin.toml');
    const message = refusal(
      () =>
        checkSpinGrants(
          needs,
          { ...JOB, keyValueStores: [], allowHttp: [], configValueKeys: [], configKeys: [] },
          'local/spin.toml',
        ),
      'SPIN_GRANT_MISSING',
    );
    expect(message).toContain('component "spin-py-app" of local/spin.toml');
    expect(message).toContain('key-value store "default": add key_value_store "default" { consul_prefix =');
    expect(message).toContain('variable "greeting" ({{ greeting }} in the manifest): grant it with config_values');
    expect(message).toContain('variable "api_token"');
    expect(message).toContain('outbound host "https://api.example.com": add "api.example.com" to allow_http');
  });

  it('matches variables to dotted and wildcard config keys the way variables.get answers them', () => {
    const needs = { ...readSpinManifest(APP_MANIFEST, 'spin.toml'), variables: { db_password: '{{ x }}' } };
    expect(checkSpinGrants(needs, { ...JOB, configKeys: ['db.password'] }, 'm')).toEqual([]);
    expect(checkSpinGrants(needs, { ...JOB, configKeys: ['db.*'] }, 'm')).toEqual([]);
    const literal = { ...needs, variables: { message: 'hello, world!' } };
    expect(refusal(() => checkSpinGrants(literal, JOB, 'm'), 'SPIN_GRANT_MISSING')).toContain(
      'add config_values = { message = "hello, world!" }',
    );
  });

  it('notes outbound hosts allow_http cannot express, and fails on a missing concrete one', () => {
    const needs = {
      ...readSpinManifest(APP_MANIFEST, 'spin.toml'),
      allowedOutboundHosts: ['https://*.example.com', 'redis://cache:6379', '*://*:*', 'https://api.example.com'],
    };
    const grants = { ...JOB, allowHttp: allow('*.example.com', 'api.example.com') };
    const notes = checkSpinGrants(needs, grants, 'm');
    expect(notes).toEqual([
      'allowed_outbound_hosts "redis://cache:6379": redis:// connections are not available on this driver (only HTTP)',
      'allowed_outbound_hosts "*://*:*": allow_http names hosts and single ports, so it cannot grant this; list the hosts and ports the component calls',
    ]);
    expect(refusal(() => checkSpinGrants(needs, JOB, 'm'), 'SPIN_GRANT_MISSING')).toContain(
      'outbound host "https://*.example.com": add "*.example.com" to allow_http',
    );
  });

  it('wants a port for an HTTP trigger and refuses other triggers', () => {
    const needs = readSpinManifest(APP_MANIFEST, 'spin.toml');
    expect(refusal(() => checkSpinGrants(needs, { ...JOB, servesHttp: false }, 'm'), 'SPIN_GRANT_MISSING')).toContain(
      'set port = "<label>"',
    );
    const redis = readSpinManifest(
      `spin_manifest_version = 2
[application]
name = "r"
[[trigger.redis]]
channel = "messages"
component = "r"
[component.r]
source = "r.wasm"
`,
      'm',
    );
    expect(refusal(() => checkSpinGrants(redis, JOB, 'm'), 'SPIN_GRANT_MISSING')).toContain(
      'triggered by redis, not http',
    );
  });

  it('refuses manifests it cannot use, saying why', () => {
    expect(refusal(() => readSpinManifest('this is = = not toml', 'm'), 'SPIN_MANIFEST_INVALID')).toContain(
      'not valid TOML',
    );
    expect(refusal(() => readSpinManifest('spin_version = "1"', 'm'), 'SPIN_MANIFEST_INVALID')).toContain(
      'spin_manifest_version = 2',
    );
    const two = `${APP_MANIFEST}\n[component.other]\nsource = "other.wasm"\n`;
    expect(refusal(() => readSpinManifest(two, 'm'), 'SPIN_MANIFEST_INVALID')).toContain(
      'several components (spin-py-app, other): name the one this task runs with spin { component = "<id>" }',
    );
    expect(readSpinManifest(two, 'm', 'other').id).toBe('other');
    expect(refusal(() => readSpinManifest(two, 'm', 'third'), 'SPIN_MANIFEST_INVALID')).toContain(
      'no [component.third]',
    );
  });
});
