// Totals every suite's results into the one closing line CI reads:
// "N passed, N failed, N skipped". Exits 1 when anything failed or a suite
// left no results (a suite that did not run is a failure, not a zero).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Totals {
  passed: number;
  failed: number;
  skipped: number;
}

const dir = process.argv[2] ?? '.cache/results';
const suites: [string, Totals | undefined][] = [
  ['licence gate (go test)', goTest(join(dir, 'go-licence-gate.log'))],
  ['unit, runtime, OCI, signatures, sources (vitest)', vitest(join(dir, 'vitest-unit.json'))],
  ['conformance (go test)', goTest(join(dir, 'go-conformance.log'))],
  ['e2e (vitest, real Nomad)', vitest(join(dir, 'vitest-e2e.json'))],
  ['cosign interop (vitest, real cosign)', vitest(join(dir, 'vitest-cosign.json'))],
  ['Vault secrets (vitest, real Vault, PostgreSQL and Nomad)', vitest(join(dir, 'vitest-vault.json'))],
  ['services (vitest, real Consul and Nomad)', vitest(join(dir, 'vitest-services.json'))],
  ['terraform (vitest, OpenTofu, real Nomad)', vitest(join(dir, 'vitest-terraform.json'))],
];

const total: Totals = { passed: 0, failed: 0, skipped: 0 };
let missing = false;
for (const [name, totals] of suites) {
  if (!totals) {
    console.log(`${name}: no results (suite did not run)`);
    missing = true;
    continue;
  }
  console.log(`${name}: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  total.passed += totals.passed;
  total.failed += totals.failed;
  total.skipped += totals.skipped;
}
if (missing) total.failed += 1;
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed > 0 ? 1 : 0);

function vitest(file: string): Totals | undefined {
  if (!existsSync(file)) return undefined;
  const report = JSON.parse(readFileSync(file, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
    testResults: { status: string; assertionResults: unknown[] }[];
  };
  // A test file that failed to load has no assertions but must count as failed.
  const brokenFiles = report.testResults.filter((r) => r.status === 'failed' && r.assertionResults.length === 0).length;
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests + brokenFiles,
    skipped: report.numPendingTests + report.numTodoTests,
  };
}

function goTest(file: string): Totals | undefined {
  if (!existsSync(file)) return undefined;
  const log = readFileSync(file, 'utf8');
  const count = (re: RegExp): number => (log.match(re) ?? []).length;
  const totals = {
    passed: count(/^\s*--- PASS: /gm),
    failed: count(/^\s*--- FAIL: /gm),
    skipped: count(/^\s*--- SKIP: /gm),
  };
  // A build failure prints "FAIL <pkg> [build failed]" and no test lines.
  if (/\[build failed\]|\[setup failed\]/.test(log)) totals.failed += 1;
  return totals;
}
