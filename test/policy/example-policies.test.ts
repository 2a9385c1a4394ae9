// The example policies in policy/examples: their own `opa test` unit tests
// (one vitest test per Rego test, so the summary counts them), `opa fmt`
// clean, and buildable for this driver (`opa build -t wasm` against
// policy/capabilities.json: every builtin they call is one the driver has).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPolicy } from '../../src/policy/policy-bundle.js';
import { CAPABILITIES, opa } from './support/opa.js';

const EXAMPLES = fileURLToPath(new URL('../../policy/examples/', import.meta.url));

interface OpaTestResult {
  readonly name: string;
  readonly package: string;
  readonly location: { readonly file: string };
  readonly fail?: boolean;
  readonly error?: unknown;
  readonly skip?: boolean;
}

const run = opa(['test', '--format', 'json', EXAMPLES]);
const results = JSON.parse(run.stdout || '[]') as OpaTestResult[];
const dir = mkdtempSync(join(tmpdir(), 'examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('policy/examples: opa test', () => {
  it('found the tests (one file of tests per example policy)', () => {
    expect(run.stderr).toBe('');
    const files = new Set(results.map((r) => r.location.file.split('/').pop()));
    expect([...files].sort()).toEqual([
      'drift_test.rego',
      'fixtures_test.rego',
      'licences_test.rego',
      'memory_test.rego',
      'network_test.rego',
      'provenance_test.rego',
    ]);
  });

  it.each(results.map((r) => [`${r.package}.${r.name}`, r] as const))('%s', (_name, result) => {
    expect(result.error).toBeUndefined();
    expect(result.skip ?? false).toBe(false);
    expect(result.fail ?? false).toBe(false);
  });
});

describe('policy/examples: style and build', () => {
  it('are formatted as opa fmt writes them', () => {
    const fmt = opa(['fmt', '--list', EXAMPLES]);
    expect(fmt.status).toBe(0);
    expect(fmt.stdout.trim()).toBe('');
  });

  it('build to Wasm against policy/capabilities.json and load in the driver with their data', () => {
    const out = join(dir, 'examples.tar.gz');
    const build = opa([
      'build',
      '-t',
      'wasm',
      '-e',
      'wasm/admission/decision',
      '--capabilities',
      CAPABILITIES,
      '--ignore',
      '*_test.rego',
      '-o',
      out,
      EXAMPLES,
    ]);
    expect(build.stderr).toBe('');
    expect(existsSync(out)).toBe(true);
    const policy = loadPolicy(readFileSync(out), out, 'wasm/admission/decision');
    const prodInput = JSON.parse(readFileSync(join(EXAMPLES, '..', 'testdata', 'prod-input.json'), 'utf8')) as unknown;
    expect(policy.evaluate(prodInput)).toEqual({ allowed: true, deny: [], warn: [] });
  });
});
