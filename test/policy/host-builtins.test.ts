// The builtins the driver provides to compiled policies answer as OPA's own
// do: one policy calls each of them on arguments taken from the input (so
// nothing is folded at compile time), and the same policy is evaluated by
// `opa eval` (OPA's topdown evaluator, the reference) and by the driver's
// Wasm evaluator on the same input. Undefined results (OPA's answer to an
// error) must be undefined in both.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HOST_BUILTIN_NAMES, HOST_BUILTINS } from '../../src/policy/host-builtins.js';
import { OpaWasmPolicy } from '../../src/policy/opa-wasm-module.js';
import { tarFiles } from '../../src/policy/tar-entries.js';
import { buildBundle, opa } from './support/opa.js';

/** [builtin, arguments]; the rule applies the builtin to input.cases[i]. */
const CASES: readonly (readonly [string, readonly unknown[]])[] = [
  ['sprintf', ['%s', ['a']]],
  ['sprintf', ['%d items', [42]]],
  ['sprintf', ['%v', [1.5]]],
  ['sprintf', ['%v', [1000000.5]]],
  ['sprintf', ['%v', [100000]]],
  ['sprintf', ['%v', [0.00001234]]],
  ['sprintf', ['%s and %s', ['a']]],
  ['sprintf', ['%s', ['a', 1]]],
  ['sprintf', ['%d', ['x']]],
  ['sprintf', ['%s', [7]]],
  ['sprintf', ['%q', ['a"b\n\t\\']]],
  ['sprintf', ['%5s|%-5s|', ['ab', 'cd']]],
  ['sprintf', ['%05d|%+d|% d', [-42, 5, 6]]],
  ['sprintf', ['%.2f|%f', [3.14159, 2]]],
  ['sprintf', ['%x|%X|%x', [255, 255, 'hi']]],
  ['sprintf', ['%v', [['a', 1, true, null]]]],
  ['sprintf', ['%v', [{ b: 1, a: ['x'] }]]],
  ['sprintf', ['%v|%s', [true, false]]],
  ['sprintf', ['%e|%.2e', [1234.5678, 0.000123]]],
  ['sprintf', ['%g|%.3g|%g', [0.00001234, 1234.5678, 100]]],
  ['sprintf', ['100%% of %s', ['it']]],
  ['sprintf', ['%.3s', ['abcdef']]],
  ['sprintf', ['%z', ['a']]],
  ['time.parse_rfc3339_ns', ['2024-02-29T12:34:56.123456789Z']],
  ['time.parse_rfc3339_ns', ['2024-02-29T12:34:56+02:00']],
  ['time.parse_rfc3339_ns', ['1970-01-01T00:00:00Z']],
  ['time.parse_rfc3339_ns', ['2023-02-29T00:00:00Z']],
  ['time.parse_rfc3339_ns', ['2024-01-01T00:00:00']],
  ['time.parse_rfc3339_ns', ['2024-13-01T00:00:00Z']],
  ['time.parse_rfc3339_ns', [17]],
  ['semver.is_valid', ['1.2.3']],
  ['semver.is_valid', ['v1.2.3-rc.1+build.5']],
  ['semver.is_valid', ['1.2']],
  ['semver.is_valid', ['01.2.3']],
  ['semver.is_valid', ['1.2.3-01']],
  ['semver.is_valid', [5]],
  ['semver.compare', ['1.2.3', '1.10.0']],
  ['semver.compare', ['1.0.0-alpha', '1.0.0']],
  ['semver.compare', ['1.0.0-alpha.1', '1.0.0-alpha.beta']],
  ['semver.compare', ['1.0.0-rc.2', '1.0.0-rc.10']],
  ['semver.compare', ['2.0.0', '2.0.0+build']],
  ['semver.compare', ['x', '1.0.0']],
  ['strings.any_prefix_match', ['abc', 'ab']],
  [
    'strings.any_prefix_match',
    [
      ['x', 'abc'],
      ['zz', 'ab'],
    ],
  ],
  ['strings.any_prefix_match', ['abc', []]],
  ['strings.any_prefix_match', ['abc', 1]],
  ['strings.any_suffix_match', ['abc', 'bc']],
  ['strings.any_suffix_match', [['abc'], ['x', 'a']]],
  ['strings.count', ['cheese', 'e']],
  ['strings.count', ['five', '']],
  ['strings.count', ['aaaa', 'aa']],
  ['units.parse_bytes', ['10']],
  ['units.parse_bytes', ['10K']],
  ['units.parse_bytes', ['10KiB']],
  ['units.parse_bytes', ['1.5MB']],
  ['units.parse_bytes', ['2Gi']],
  ['units.parse_bytes', ['1e3']],
  ['units.parse_bytes', ['"3k"']],
  ['units.parse_bytes', ['.5k']],
  ['units.parse_bytes', ['5 MB']],
  ['units.parse_bytes', ['abc']],
  ['units.parse_bytes', ['10XB']],
  ['net.cidr_is_valid', ['10.0.0.0/8']],
  ['net.cidr_is_valid', ['10.0.0.0/33']],
  ['net.cidr_is_valid', ['fe80::/10']],
  ['net.cidr_is_valid', ['10.0.0.1']],
  ['net.cidr_is_valid', ['256.0.0.0/8']],
  ['net.cidr_is_valid', [5]],
  ['crypto.sha256', ['abc']],
  ['hex.encode', ['hi ✓']],
  ['hex.decode', ['6869']],
  ['hex.decode', ['zz']],
];

/**
 * Nanosecond timestamps exceed 2^53: compared exactly as seconds and
 * nanoseconds, split by arithmetic compiled into the module.
 */
const NANOSECONDS = new Set(['time.parse_rfc3339_ns']);

function policyText(): string {
  const rules = CASES.map(([name, args], i) => {
    const call = `${name}(${args.map((_, j) => `input.cases[${i}][${j}]`).join(', ')})`;
    return NANOSECONDS.has(name)
      ? `r${i} := [(t - t % 1000000000) / 1000000000, t % 1000000000] if t := ${call}`
      : `r${i} := ${call}`;
  });
  return `package golden\n\n${rules.join('\n')}\n\nnow := time.now_ns()\n`;
}

const dir = mkdtempSync(join(tmpdir(), 'golden-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('builtins the driver provides, against OPA v1.22.4 (opa eval)', () => {
  const rego = policyText();
  const input = { cases: CASES.map(([, args]) => args) };
  writeFileSync(join(dir, 'golden.rego'), rego);
  writeFileSync(join(dir, 'input.json'), JSON.stringify(input));
  const reference = opa(['eval', '--format', 'json', '-d', 'golden.rego', '-i', 'input.json', 'data.golden'], dir);
  const expected =
    (JSON.parse(reference.stdout) as { result: { expressions: { value: Record<string, unknown> }[] }[] }).result[0]
      ?.expressions[0]?.value ?? {};
  const wasm = tarFiles(buildBundle({ 'golden.rego': rego }, ['golden'])).get('policy.wasm') ?? Buffer.alloc(0);
  const policy = OpaWasmPolicy.load(new WebAssembly.Module(new Uint8Array(wasm)), HOST_BUILTINS, 'golden');
  // The package is the query here: its document holds every rule that is defined.
  const [first] = policy.evaluate('golden', input) as [{ result: Record<string, unknown> } | undefined];
  const evaluated = first?.result;

  it('both evaluators answered, and agree on which cases are undefined (OPA errors)', () => {
    const defined = (o: Record<string, unknown> | undefined): string[] => Object.keys(o ?? {}).sort();
    expect(defined(evaluated)).toEqual(defined(expected));
    // The undefined ones are exactly the calls OPA rejects.
    const undefinedCases = CASES.map((c, i) => [i, c[0]] as const).filter(([i]) => !(`r${i}` in expected));
    expect(undefinedCases.map(([, name]) => name)).toEqual([
      'time.parse_rfc3339_ns',
      'time.parse_rfc3339_ns',
      'time.parse_rfc3339_ns',
      'time.parse_rfc3339_ns',
      'semver.compare',
      'strings.any_prefix_match',
      'units.parse_bytes',
      'units.parse_bytes',
      'units.parse_bytes',
      'hex.decode',
    ]);
  });

  it('covers every builtin the driver provides', () => {
    expect([...new Set(CASES.map(([name]) => name)), 'time.now_ns'].sort()).toEqual([...HOST_BUILTIN_NAMES]);
  });

  it.each(CASES.map(([name, args], i) => [i, name, JSON.stringify(args)] as const))(
    'case %i: %s(%s) as OPA answers it',
    (i) => {
      expect(evaluated?.[`r${i}`]).toEqual(expected[`r${i}`]);
    },
  );

  it("time.now_ns is the current time (within a minute of OPA's)", () => {
    const ours = evaluated?.['now'];
    const theirs = expected['now'];
    expect(typeof ours).toBe('number');
    expect(Math.abs(Number(ours) - Number(theirs))).toBeLessThan(60e9);
  });
});
