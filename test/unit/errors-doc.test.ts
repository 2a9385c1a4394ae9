// The README documents every error code, exactly as the catalogue says.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../src/errors.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = /<!-- error-codes:start -->\n([\s\S]*?)\n<!-- error-codes:end -->/.exec(readme)?.[1] ?? '';
const documented = new Map(
  [...section.matchAll(/^\| `([A-Z0-9_]+)` \| (yes|no) \| (.*) \|$/gm)].map((m) => [
    m[1],
    { retried: m[2], text: m[3] },
  ]),
);

describe('README error catalogue', () => {
  it('documents every code of src/errors.ts and nothing else', () => {
    expect([...documented.keys()].sort()).toEqual(Object.keys(ERROR_CATALOGUE).sort());
  });

  it.each(Object.entries(ERROR_CATALOGUE))('%s: same retry flag and description', (code, info) => {
    const row = documented.get(code);
    expect(row?.retried).toBe(info.recoverable ? 'yes' : 'no');
    expect(row?.text).toBe(info.description.replaceAll('|', '\\|'));
  });
});
