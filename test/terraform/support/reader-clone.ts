// A reader's clone of this repository, as ./scripts/dev-run.sh leaves it
// (dependencies installed, plugin and components built, Nomad built), made
// cheaply: a directory named `nomad-driver-wasm` whose entries link to this
// checkout's, except what the README's steps write into: `terraform/` is a
// copy (init, lock files, state) and `.cache/bin` a directory of links to
// the built binaries (the walk links `nomad` and `tofu` into it). Its parent
// is the reader's directory beside the clone (`../platform`).
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../e2e/support/nomad-agent.ts';

export interface ReaderClone {
  /** The parent directory: the reader's home for the walk, and where `../platform` goes. */
  readonly home: string;
  /** The clone: `<home>/nomad-driver-wasm`. */
  readonly root: string;
  remove(): void;
}

/** Not linked: version control, and what the walk writes (copied or made instead). */
const NOT_LINKED = new Set(['.git', 'terraform', '.cache']);

export function readerClone(): ReaderClone {
  const home = mkdtempSync(join(tmpdir(), 'readme-walk-'));
  const root = join(home, 'nomad-driver-wasm');
  mkdirSync(root);
  for (const entry of readdirSync(REPO_ROOT)) {
    if (!NOT_LINKED.has(entry)) symlinkSync(join(REPO_ROOT, entry), join(root, entry));
  }
  cpSync(join(REPO_ROOT, 'terraform'), join(root, 'terraform'), {
    recursive: true,
    filter: (src) => !/\.terraform|\.tfstate|terraform-provider-nomadwasm$/.test(src),
  });
  mkdirSync(join(root, '.cache/bin'), { recursive: true });
  for (const entry of readdirSync(join(REPO_ROOT, '.cache'))) {
    if (entry !== 'bin') symlinkSync(join(REPO_ROOT, '.cache', entry), join(root, '.cache', entry));
  }
  for (const binary of readdirSync(join(REPO_ROOT, '.cache/bin'))) {
    if (!binary.startsWith('.')) symlinkSync(join(REPO_ROOT, '.cache/bin', binary), join(root, '.cache/bin', binary));
  }
  return { home, root, remove: () => rmSync(home, { recursive: true, force: true }) };
}
