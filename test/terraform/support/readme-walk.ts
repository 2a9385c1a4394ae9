// The README's Terraform walk as data: every fenced block that follows a
// `<!-- readme-walk: <name> -->` marker in README.md, in order. The walk
// test runs these blocks, so the README is the script: when its text
// changes, the test runs the new text.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../e2e/support/nomad-agent.ts';

export interface WalkBlock {
  /** The marker's name: a step name, or the path a configuration block is saved at. */
  readonly name: string;
  /** The fence's language: `sh` blocks are run, `hcl` blocks saved. */
  readonly lang: string;
  readonly body: string;
  /** 1-based line of the marker in README.md, for failure messages. */
  readonly line: number;
}

const MARKER = /^<!-- readme-walk: (.+?) -->$/;

export function readmeWalk(readmePath = join(REPO_ROOT, 'README.md')): WalkBlock[] {
  const lines = readFileSync(readmePath, 'utf8').split('\n');
  const blocks: WalkBlock[] = [];
  lines.forEach((line, i) => {
    const marker = MARKER.exec(line);
    if (!marker?.[1]) return;
    const fence = /^```(\w+)$/.exec(lines[i + 1] ?? '');
    if (!fence?.[1])
      throw new Error(
        `README.md:${i + 1}: "${line}" must be followed directly by a fenced block (\`\`\`sh or \`\`\`hcl)`,
      );
    const end = lines.indexOf('```', i + 2);
    if (end < 0) throw new Error(`README.md:${i + 2}: the fenced block after "${line}" is never closed`);
    blocks.push({ name: marker[1], lang: fence[1], body: lines.slice(i + 2, end).join('\n'), line: i + 1 });
  });
  return blocks;
}

/** The blocks by name; fails naming what is missing, unexpected or of the wrong kind. */
export function walkSteps(blocks: readonly WalkBlock[], expected: Record<string, string>): Map<string, WalkBlock> {
  const byName = new Map(blocks.map((b) => [b.name, b]));
  const names = blocks.map((b) => b.name);
  const missing = Object.keys(expected).filter((n) => !byName.has(n));
  const unexpected = names.filter((n) => !(n in expected));
  if (missing.length > 0 || unexpected.length > 0 || byName.size !== names.length)
    throw new Error(
      `README.md readme-walk markers ${JSON.stringify(names)}: missing ${JSON.stringify(missing)}, ` +
        `not known to the walk test ${JSON.stringify(unexpected)} (each name once)`,
    );
  for (const [name, lang] of Object.entries(expected)) {
    const block = byName.get(name);
    if (block?.lang !== lang)
      throw new Error(`README.md:${block?.line}: readme-walk "${name}" must be a \`\`\`${lang} block`);
  }
  return byName;
}

/**
 * The `export NAME=value` lines of a settings block (the values a reader
 * replaces with their own), by name, in order.
 */
export function exportedSettings(body: string): string[] {
  return body
    .split('\n')
    .map((line) => /^export ([A-Z_][A-Z0-9_]*)=/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}
