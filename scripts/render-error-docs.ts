// Regenerates the error-code table in README.md from src/errors.ts.
// test/unit/errors-doc.test.ts fails when the two drift apart.
import { readFileSync, writeFileSync } from 'node:fs';
import { ERROR_CATALOGUE } from '../src/errors.ts';

export function errorTable(): string {
  const rows = Object.entries(ERROR_CATALOGUE).map(
    ([code, info]) =>
      `| \`${code}\` | ${info.recoverable ? 'yes' : 'no'} | ${info.description.replaceAll('|', '\\|')} |`,
  );
  return ['| code | retried | meaning |', '|---|---|---|', ...rows].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const readme = readFileSync('README.md', 'utf8');
  const updated = readme.replace(
    /(<!-- error-codes:start -->\n)[\s\S]*?(\n<!-- error-codes:end -->)/,
    `$1${errorTable()}$2`,
  );
  writeFileSync('README.md', updated);
  console.log('README.md error table updated');
}
