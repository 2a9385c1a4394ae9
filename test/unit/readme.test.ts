// The README as a newcomer navigates it: its table of contents is the one
// scripts/readme-toc.ts makes from its headings, and every in-page link
// (`](#anchor)`) lands on a heading.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { headings, withToc } from '../../scripts/readme-toc.ts';
import { ERROR_CATALOGUE } from '../../src/errors.ts';

const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('has an up-to-date table of contents (run `node scripts/readme-toc.ts` after changing headings)', () => {
    expect(readme).toBe(withToc(readme));
  });

  it('links only to headings that exist', () => {
    const anchors = new Set(headings(readme).map((h) => h.anchor));
    const links = [...readme.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1] ?? '');
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((link) => !anchors.has(link))).toEqual([]);
  });
});

describe('README Troubleshooting', () => {
  const section = readme.slice(readme.indexOf('\n## Troubleshooting\n'), readme.indexOf('\n## How it works\n'));

  it('names at least ten failures, each with what the user sees, why, and the fix', () => {
    const table = section.slice(section.indexOf('**The most likely failures**'));
    const rows = table.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| symptom'));
    expect(rows.length).toBeGreaterThanOrEqual(10);
    for (const row of rows) expect(row.split(' | ').length, row).toBe(3);
  });

  it('quotes only codes that are in the error catalogue', () => {
    const quoted = [...section.matchAll(/\[([A-Z][A-Z0-9_]+)\]/g)].map((m) => m[1] ?? '');
    expect(quoted.length).toBeGreaterThanOrEqual(10);
    expect(quoted.filter((code) => code !== 'CODE' && !(code in ERROR_CATALOGUE))).toEqual([]);
  });
});
