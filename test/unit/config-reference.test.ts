// The README's reference tables against the driver's config schemas (the
// hclspec Nomad decodes with): every field of `plugin "wasm" { config {} }`
// has its own row in "Plugin configuration reference", every top-level task
// `config {}` field has a row in "Task configuration" (nested ones are named
// in their block's row), and no row names a field that does not exist.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { pluginConfigSpec } from '../../src/config/plugin-config.ts';
import { taskConfigSpec } from '../../src/config/task-config.ts';
import type { Spec } from '../../src/hclspec/spec.ts';

/** Every field path of a schema: `cache_dir`, `vault`, `vault.address`, `signatures.namespace.mode`… */
function fieldPaths(spec: Spec, prefix = ''): string[] {
  if (spec.object) return Object.values(spec.object.attributes ?? {}).flatMap((s) => fieldPaths(s, prefix));
  if (spec.Attr) return [prefix + (spec.Attr.name ?? '')];
  if (spec.default?.primary) return fieldPaths(spec.default.primary, prefix);
  const block = spec.block_list ?? spec.block_map;
  if (block?.nested) return [prefix + (block.name ?? ''), ...fieldPaths(block.nested, `${prefix}${block.name}.`)];
  throw new Error(`a schema node this test does not know: ${JSON.stringify(spec).slice(0, 120)}`);
}

/** The table rows of one `## heading` section: [first cell's names, whole row]. */
async function tableRows(heading: string): Promise<Array<{ names: string[]; row: string }>> {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start, `README has a "## ${heading}" section`).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((row) => {
      const first = row.split('|')[1] ?? '';
      // `signatures.namespace "<name>"` names the block `signatures.namespace`.
      const names = [...first.matchAll(/`([a-z_.]+)(?: "<[a-z]+>")?`/g)].map((m) => m[1] ?? '');
      return { names, row };
    });
}

describe('README reference tables match the config schemas', () => {
  it('every plugin config field has a row in "Plugin configuration reference", and every row a field', async () => {
    const rows = await tableRows('Plugin configuration reference');
    const documented = rows.flatMap((r) => r.names);
    const fields = fieldPaths(pluginConfigSpec);
    expect(
      fields.filter((f) => !documented.includes(f)),
      'fields without a row',
    ).toEqual([]);
    expect(
      documented.filter((d) => !fields.includes(d)),
      'rows for fields that do not exist',
    ).toEqual([]);
  });

  it('every task config field is in "Task configuration": top-level ones in a row of their own, nested ones in their block\'s row', async () => {
    const rows = await tableRows('Task configuration');
    const fields = fieldPaths(taskConfigSpec);
    const missing = fields.filter((field) => {
      const parts = field.split('.');
      const top = parts[0] ?? '';
      const row = rows.find((r) => r.names.includes(top));
      if (!row) return true;
      return parts.length > 1 && !row.row.includes(`\`${parts[parts.length - 1]}\``);
    });
    expect(missing, 'fields not documented').toEqual([]);
    const topLevel = new Set(fields.map((f) => f.split('.')[0]));
    expect(
      rows.flatMap((r) => r.names).filter((name) => !topLevel.has(name)),
      'rows for fields that do not exist',
    ).toEqual([]);
  });
});
