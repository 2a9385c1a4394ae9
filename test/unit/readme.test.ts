// The README as a newcomer navigates it: its table of contents is the one
// scripts/readme-toc.ts makes from its headings, and every in-page link
// (`](#anchor)`) lands on a heading.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { headings, withToc } from '../../scripts/readme-toc.ts';

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
