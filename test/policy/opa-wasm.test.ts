import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../src/policy/policy-bundle.js';
import { buildBundle } from './support/opa.js';

describe('smoke', () => {
  it('evaluates', () => {
    const bundle = buildBundle(
      {
        'p.rego': `package wasm.admission
deny contains msg if {
  some h in input.grants.allow_http
  not h in data.allowed
  msg := sprintf("host %s is not allowed (%d)", [h, count(input.grants.allow_http)])
}
warn contains {"msg": "semver", "code": "X"} if semver.compare("1.2.3", "1.10.0") < 0
deny contains "old" if time.now_ns() < time.parse_rfc3339_ns("2020-01-01T00:00:00Z")
`,
        'data.json': '{"allowed": ["a.com"]}',
      },
      ['wasm/admission'],
      { capabilities: false },
    );
    const p = loadPolicy(bundle, 'b', 'wasm/admission');
    const v = p.evaluate({ grants: { allow_http: ['a.com', 'b.com'] } });
    console.log(JSON.stringify(v));
    const t0 = performance.now();
    for (let i = 0; i < 10000; i++) p.evaluate({ grants: { allow_http: ['a.com', 'b.com'] } });
    console.log((performance.now() - t0) / 10000, 'ms');
    expect(v.allowed).toBe(false);
  });
});
