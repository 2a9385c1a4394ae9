// OpenTofu's own checks over terraform/: `tofu fmt -check` (the files are
// formatted as tofu writes them) and `tofu validate` of each module and the
// example (every reference, type and argument is valid). Run here because
// this suite builds tofu; scripts/lint.sh runs the other linters.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../e2e/support/nomad-agent.ts';
import { mustRun, openTofu, run, workingCopy } from './support/opentofu.ts';

const tofu = openTofu();
let work: { root: string; remove: () => void };
beforeAll(() => {
  work = workingCopy();
});
afterAll(() => work?.remove());

describe(`terraform/ under ${tofu.name} ${tofu.version}`, () => {
  it('is formatted as `tofu fmt` writes it', async () => {
    const result = await run(tofu, join(REPO_ROOT, 'terraform'), ['fmt', '-check', '-recursive', '-diff', '-no-color']);
    expect(result.stdout, 'run `tofu fmt -recursive terraform/`').toBe('');
    expect(result.code).toBe(0);
  });

  it.each(['modules/nomad-wasm-client', 'modules/wasm-environment', 'examples/two-environments'])(
    '%s: tofu validate',
    async (path) => {
      const dir = join(work.root, path);
      await mustRun(tofu, dir, ['init', '-backend=false', '-no-color']);
      const result = await run(tofu, dir, ['validate', '-no-color']);
      expect(result.stdout + result.stderr).toContain('Success! The configuration is valid.');
      expect(result.code).toBe(0);
    },
    180_000,
  );
});
