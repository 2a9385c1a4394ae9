// The driver's OPA Wasm evaluator on policies compiled by the real OPA
// (v1.22.4, `opa build -t wasm`): decisions, data, load-time refusals that
// name what is wrong, failures during evaluation, and a heap that does not
// grow with the number of decisions.
import { describe, expect, it } from 'vitest';
import { POLICY_OFF, type PolicyConfig } from '../../src/config/policy-config.js';
import { isDriverError } from '../../src/errors.js';
import { loadPolicy } from '../../src/policy/policy-bundle.js';
import { PolicySet } from '../../src/policy/policy-set.js';
import { tarFiles } from '../../src/policy/tar-entries.js';
import { driverRejection } from '../support/rejection.js';
import { buildBundle } from './support/opa.js';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HOSTS_POLICY = `package acme.admission

import rego.v1

decision := {"deny": deny, "warn": warn}

deny contains {"msg": msg, "code": "HOST", "path": "grants.allow_http"} if {
	some host in input.grants.allow_http
	not host in data.acme.hosts
	msg := sprintf("%s is not an allowed host", [host])
}

warn contains "no memory ceiling" if input.grants.memory_max_mb == null
`;

const built = (files: Record<string, string>, entrypoint: string, capabilities = true): Buffer =>
  buildBundle(files, [entrypoint], { capabilities });

function rejectionOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isDriverError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a DriverError, nothing was thrown');
}

describe('OPA Wasm policies compiled by opa build -t wasm', () => {
  const bundle = built(
    { 'p.rego': HOSTS_POLICY, 'data.json': '{"acme": {"hosts": ["a.example.com"]}}' },
    'acme/admission/decision',
  );

  it('evaluates deny and warn with the bundle data, messages as strings or {msg, code, path}', () => {
    const policy = loadPolicy(bundle, 'bundle.tar.gz', 'acme/admission/decision');
    expect(
      policy.evaluate({ grants: { allow_http: ['a.example.com', 'b.example.com'], memory_max_mb: null } }),
    ).toEqual({
      allowed: false,
      deny: [{ msg: 'b.example.com is not an allowed host', code: 'HOST', path: 'grants.allow_http' }],
      warn: [{ msg: 'no memory ceiling' }],
    });
    expect(policy.evaluate({ grants: { allow_http: ['a.example.com'], memory_max_mb: 64 } })).toEqual({
      allowed: true,
      deny: [],
      warn: [],
    });
  });

  it('names the bundle by its digest and the query as an entrypoint path (dots accepted)', () => {
    const policy = loadPolicy(bundle, 'bundle.tar.gz', 'acme.admission.decision');
    expect(policy.query).toBe('acme/admission/decision');
    expect(policy.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(tarFiles(bundle).has('policy.wasm')).toBe(true);
  });

  it('also loads a bare policy.wasm, which has no data: a host the bundle denies is not judged', () => {
    const wasm = tarFiles(bundle).get('policy.wasm') ?? Buffer.alloc(0);
    const policy = loadPolicy(wasm, 'policy.wasm', 'acme/admission/decision');
    const input = { grants: { allow_http: ['b.example.com'], memory_max_mb: 1 } };
    // As OPA itself: `not host in data.acme.hosts` is undefined, not true, when the data is missing.
    expect(policy.evaluate(input)).toEqual({ allowed: true, deny: [], warn: [] });
    expect(loadPolicy(bundle, 'bundle.tar.gz', 'acme/admission/decision').evaluate(input).allowed).toBe(false);
  });

  it('refuses, at load, a policy calling a builtin the driver does not provide, naming it', () => {
    const uses = built(
      {
        'p.rego': `package x
import rego.v1
decision := {"deny": [m | some h in input.hosts; m := regex.replace(h, "a", "b")], "warn": [w | w := http.send({"method": "get", "url": "http://example.com"}).body; input.fetch]}
`,
      },
      'x/decision',
      false, // OPA itself would refuse it with our capabilities file; built without it, the driver must catch it
    );
    const err = rejectionOf(() => loadPolicy(uses, 'uses.tar.gz', 'x/decision'));
    expect(err.code).toBe('POLICY_INVALID');
    expect(err.message).toContain('calls builtins this driver does not provide: http.send, regex.replace');
  });

  it('refuses a query that is not an entrypoint, listing the ones it has', () => {
    const err = rejectionOf(() => loadPolicy(bundle, 'bundle.tar.gz', 'acme/admission/allow'));
    expect(err.code).toBe('POLICY_INVALID');
    expect(err.message).toContain('has no entrypoint acme/admission/allow (it has acme/admission/decision)');
  });

  it('refuses a file that is neither a bundle nor Wasm, and a bundle without policy.wasm', () => {
    expect(rejectionOf(() => loadPolicy(Buffer.from('package x\n'), 'x.rego', 'x')).message).toContain(
      'x.rego is neither a Wasm module nor an OPA bundle',
    );
    const regoOnly = buildBundle({ 'p.rego': 'package x\n\ndecision := {}\n' }, [], { target: 'rego' });
    expect(rejectionOf(() => loadPolicy(regoOnly, 'rego.tar.gz', 'x/decision')).message).toContain(
      'has no policy.wasm',
    );
  });

  it('a rule conflict aborts evaluation; the policy set reports it as a failed evaluation, not a verdict', () => {
    const conflicting = built(
      {
        'p.rego': `package c
import rego.v1
decision := {"deny": []}
decision := {"deny": ["other"]} if input.twice
`,
      },
      'c/decision',
    );
    const policy = loadPolicy(conflicting, 'c.tar.gz', 'c/decision');
    expect(policy.evaluate({ twice: false })).toMatchObject({ allowed: true });
    expect(() => policy.evaluate({ twice: true })).toThrow(/conflict/);
  });

  it('an undefined decision or one that is not {deny, warn} is a failed evaluation under every mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-set-'));
    const path = join(dir, 'u.tar.gz');
    writeFileSync(
      path,
      built({ 'p.rego': 'package u\nimport rego.v1\ndecision := {"deny": "no"} if input.bad\n' }, 'u/decision'),
    );
    const config: PolicyConfig = {
      ...POLICY_OFF,
      default: { ...POLICY_OFF.default, mode: 'enforce', bundle: path, query: 'u/decision' },
    };
    const set = PolicySet.for(config);
    expect(PolicySet.for(config)).toBe(set); // loaded once per configuration
    const undefinedResult = set.evaluate('default', { bad: false });
    expect(undefinedResult).toMatchObject({ allowed: false, mode: 'enforce' });
    expect(undefinedResult.failure).toContain('query u/decision is undefined for this input');
    expect(set.evaluate('default', { bad: true }).failure).toContain('u/decision.deny is "no", not a set of messages');
    await Promise.resolve();
  });

  it('evaluates 500 decisions on a 100 KiB input without growing its memory (each starts from the same heap)', () => {
    const policy = loadPolicy(bundle, 'bundle.tar.gz', 'acme/admission/decision');
    const input = { grants: { allow_http: ['b.example.com'], memory_max_mb: 1 }, padding: 'x'.repeat(100 * 1024) };
    policy.evaluate(input);
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 500; i++) expect(policy.evaluate(input).allowed).toBe(false);
    // Linear memories are ArrayBuffers: keeping each input on the heap would add 50 MiB or more.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
  });
});

describe('policy files named in the plugin config', () => {
  it('an unreadable bundle path is POLICY_INVALID with the path', async () => {
    const config: PolicyConfig = {
      ...POLICY_OFF,
      default: { ...POLICY_OFF.default, mode: 'enforce', bundle: '/nonexistent/policy.tar.gz' },
    };
    const err = await driverRejection(Promise.resolve().then(() => PolicySet.for(config)));
    expect(err.code).toBe('POLICY_INVALID');
    expect(err.message).toContain('cannot read policy /nonexistent/policy.tar.gz');
  });
});
