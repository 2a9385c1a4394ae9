// Totals every suite's results into the one closing line CI reads:
// "N passed, N failed". Exits 1 when anything failed, a suite left no
// results (a suite that did not run is a failure, not a zero), or a test was
// skipped that is not on the allow-list (scripts/skip-allow-list.ts): each
// such skip counts as a failure, and is named. Each failed test is named with
// the first lines of its message just before that line: CI shows only the tail.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { ALLOWED_SKIPS } from './skip-allow-list.ts';

interface Totals {
  passed: number;
  failed: number;
  /** Full names of the tests that were skipped. */
  skipped: string[];
  /** Each failed test's full name and the first lines of why: CI shows only the tail of the log. */
  failures: string[];
}

const dir = process.argv[2] ?? '.cache/results';
const suites: [string, Totals | undefined][] = [
  ['linters and format checks', lint(join(dir, 'lint.txt'))],
  ['licence gate (go test)', goTest(join(dir, 'go-licence-gate.log'))],
  ['Terraform provider (go test)', goTest(join(dir, 'go-terraform-provider.log'))],
  ['unit, runtime, OCI, signatures, sources (vitest)', vitest(join(dir, 'vitest-unit.json'))],
  ['conformance (go test)', goTest(join(dir, 'go-conformance.log'))],
  ['e2e (vitest, real Nomad)', vitest(join(dir, 'vitest-e2e.json'))],
  ['cosign interop (vitest, real cosign)', vitest(join(dir, 'vitest-cosign.json'))],
  [
    'policy, SBOM, attestations, evidence (vitest, real OPA, cosign and Nomad)',
    vitest(join(dir, 'vitest-policy.json')),
  ],
  ['Vault secrets (vitest, real Vault, PostgreSQL and Nomad)', vitest(join(dir, 'vitest-vault.json'))],
  ['services (vitest, real Consul and Nomad)', vitest(join(dir, 'vitest-services.json'))],
  ['terraform (vitest, OpenTofu, real Nomad)', vitest(join(dir, 'vitest-terraform.json'))],
  ['telemetry (vitest, real Jaeger v2, Prometheus 3, Consul and Nomad)', vitest(join(dir, 'vitest-telemetry.json'))],
];

const total = { passed: 0, failed: 0 };
const allowed = new Set(ALLOWED_SKIPS.map((s) => s.test));
const skipped: string[] = [];
const failures: string[] = [];
for (const [name, totals] of suites) {
  if (!totals) {
    console.log(`${name}: no results (suite did not run)`);
    total.failed += 1;
    continue;
  }
  console.log(`${name}: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped.length} skipped`);
  total.passed += totals.passed;
  total.failed += totals.failed;
  skipped.push(...totals.skipped);
  failures.push(...totals.failures);
}
for (const failure of failures) console.log(`FAILED: ${failure}`);
const unexplained = skipped.filter((test) => !allowed.has(test));
for (const test of skipped) {
  console.log(
    `skipped${allowed.has(test) ? ' (allowed)' : ', NOT on scripts/skip-allow-list.ts: counted as failed'}: ${test}`,
  );
}
total.failed += unexplained.length;
if (skipped.length > 0) console.log(`${skipped.length} skipped, ${unexplained.length} of them not allowed`);
console.log(`${total.passed} passed, ${total.failed} failed`);
process.exit(total.failed > 0 ? 1 : 0);

/** scripts/lint.sh's results file: one "PASS <check>" / "FAIL <check>" line per check. */
function lint(file: string): Totals | undefined {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n');
  return {
    passed: lines.filter((l) => l.startsWith('PASS ')).length,
    failed: lines.filter((l) => l.startsWith('FAIL ')).length,
    skipped: [],
    failures: lines.filter((l) => l.startsWith('FAIL ')).map((l) => `lint: ${l.slice(5)}`),
  };
}

function vitest(file: string): Totals | undefined {
  if (!existsSync(file)) return undefined;
  const report = JSON.parse(readFileSync(file, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    testResults: {
      name: string;
      status: string;
      message?: string;
      assertionResults: { status: string; fullName: string; failureMessages?: string[] }[];
    }[];
  };
  const where = (file: { name: string }): string => relative(process.cwd(), file.name);
  // A test file that failed to load has no assertions but must count as failed.
  const brokenFiles = report.testResults.filter((r) => r.status === 'failed' && r.assertionResults.length === 0).length;
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests + brokenFiles,
    skipped: report.testResults.flatMap((file) =>
      file.assertionResults
        .filter((a) => a.status === 'skipped' || a.status === 'pending' || a.status === 'todo')
        .map((a) => `${where(file)} > ${a.fullName}`),
    ),
    failures: report.testResults.flatMap((file) => [
      ...(file.status === 'failed' && file.assertionResults.length === 0
        ? [`${where(file)} (did not load)\n${firstLines(file.message ?? '')}`]
        : []),
      ...file.assertionResults
        .filter((a) => a.status === 'failed')
        .map((a) => `${where(file)} > ${a.fullName}\n${firstLines((a.failureMessages ?? []).join('\n'))}`),
    ]),
  };
}

function goTest(file: string): Totals | undefined {
  if (!existsSync(file)) return undefined;
  const log = readFileSync(file, 'utf8');
  const count = (re: RegExp): number => (log.match(re) ?? []).length;
  const totals = {
    passed: count(/^\s*--- PASS: /gm),
    failed: count(/^\s*--- FAIL: /gm),
    skipped: [...log.matchAll(/^\s*--- SKIP: (\S+)/gm)].map((m) => m[1] ?? ''),
    failures: [...log.matchAll(/^\s*--- FAIL: (\S+)/gm)].map((m) => `${basename(file)}: ${m[1] ?? ''}`),
  };
  // A build failure prints "FAIL <pkg> [build failed]" and no test lines.
  if (/\[build failed\]|\[setup failed\]/.test(log)) totals.failed += 1;
  return totals;
}

/** The first lines of a failure message, indented, so the summary stays short. */
function firstLines(message: string, count = 6): string {
  return message
    .split('\n')
    .slice(0, count)
    .map((line) => `    ${line.slice(0, 300)}`)
    .join('\n');
}
