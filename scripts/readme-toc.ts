// The README's table of contents, made from its `##` and `###` headings
// (code blocks skipped) with GitHub's anchors, between the two marker
// comments. `node scripts/readme-toc.ts` rewrites it in place;
// test/unit/readme.test.ts fails when it is stale or a `(#anchor)` link
// points at no heading.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const TOC_START = '<!-- toc: made by scripts/readme-toc.ts -->';
export const TOC_END = '<!-- /toc -->';

export interface Heading {
  readonly level: number;
  readonly text: string;
  readonly anchor: string;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function slug(text: string, seen: Map<string, number>): string {
  const base = text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
  const n = seen.get(base) ?? 0;
  seen.set(base, n + 1);
  return n === 0 ? base : `${base}-${n}`;
}

export function headings(markdown: string): Heading[] {
  const out: Heading[] = [];
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const match = fenced ? null : /^(#{1,6}) (.+)$/.exec(line);
    if (match?.[1] && match[2]) out.push({ level: match[1].length, text: match[2], anchor: slug(match[2], seen) });
  }
  return out;
}

export function renderToc(markdown: string): string {
  const lines = headings(markdown)
    .filter((h) => h.level === 2 || h.level === 3)
    .map((h) => `${h.level === 3 ? '  ' : ''}- [${h.text.replace(/`/g, '')}](#${h.anchor})`);
  return `${TOC_START}\n${lines.join('\n')}\n${TOC_END}`;
}

/** The README with its table of contents made anew (it must already have the markers). */
export function withToc(markdown: string): string {
  const start = markdown.indexOf(TOC_START);
  const end = markdown.indexOf(TOC_END);
  if (start < 0 || end < start) throw new Error(`README.md has no "${TOC_START}" … "${TOC_END}" markers`);
  return markdown.slice(0, start) + renderToc(markdown) + markdown.slice(end + TOC_END.length);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = new URL('../README.md', import.meta.url);
  writeFileSync(path, withToc(readFileSync(path, 'utf8')));
}
