// policy/capabilities.json is what scripts/policy-capabilities.ts writes
// from the pinned OPA: OPA's own capabilities narrowed to the builtins OPA
// compiles into Wasm plus those the driver provides. A builtin added to the
// driver, or an OPA bump, without regenerating it fails here.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HOST_BUILTIN_NAMES } from '../../src/policy/host-builtins.js';
import { CAPABILITIES, opaBinary } from './support/opa.js';

describe('policy/capabilities.json', () => {
  it('is up to date (node scripts/policy-capabilities.ts rewrites it)', () => {
    const fresh = execFileSync(process.execPath, ['scripts/policy-capabilities.ts', '--print'], {
      cwd: new URL('../../', import.meta.url),
      encoding: 'utf8',
      env: { ...process.env, OPA_BIN: opaBinary() },
    });
    expect(readFileSync(CAPABILITIES, 'utf8')).toBe(fresh);
  });

  it('lists the driver-provided builtins and the 98 OPA compiles natively, and not http.send', () => {
    const names = (JSON.parse(readFileSync(CAPABILITIES, 'utf8')) as { builtins: { name: string }[] }).builtins.map(
      (b) => b.name,
    );
    expect(names).toEqual(
      expect.arrayContaining([...HOST_BUILTIN_NAMES, 'startswith', 'glob.match', 'json.unmarshal']),
    );
    expect(names).toHaveLength(98 + HOST_BUILTIN_NAMES.length);
    expect(names).not.toContain('http.send');
  });
});
