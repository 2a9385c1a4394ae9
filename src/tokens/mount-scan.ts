// Looks through a directory a job mounts for anything that would hand the
// component a token: a file of Nomad's token names (vault_token,
// nomad_token, consul_token, si_token, nomad_<name>.jwt), a file holding a
// known token value (a template that rendered one, a copy), or a Nomad
// workload identity JWT (identity { filepath } may put one anywhere).
//
// Bounded, because a job may mount a large tree: files above
// MAX_SCANNED_FILE_BYTES are not read (a token file is tiny), and the walk
// stops after MAX_ENTRIES entries or MAX_TOTAL_BYTES read, which the
// result says (the task gets an event). Symlinks are not followed: the
// component cannot follow one out of its mount either (wasi/filesystem.ts),
// and one that stays inside leads to a file this walk reaches anyway.
import { lstat, readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { holdsWorkloadIdentity, isTokenFileName } from './nomad-tokens.js';
import { tokenIn, type TaskTokens } from './task-tokens.js';

const MAX_SCANNED_FILE_BYTES = 1024 * 1024;
const MAX_ENTRIES = 20_000;
const MAX_TOTAL_BYTES = 64 * 1024 * 1024;
const MAX_DEPTH = 32;

export type MountFinding =
  | { readonly kind: 'token-file'; readonly path: string }
  | { readonly kind: 'token-value'; readonly path: string; readonly token: string }
  | { readonly kind: 'workload-identity'; readonly path: string };

export interface MountScan {
  /** The first token found, with its path relative to the mount's source. */
  readonly finding: MountFinding | undefined;
  /** The walk stopped at a bound before seeing everything: what it did not see is unchecked. */
  readonly incomplete: boolean;
}

interface Budget {
  entries: number;
  bytes: number;
  incomplete: boolean;
}

export async function scanMount(root: string, tokens: TaskTokens): Promise<MountScan> {
  const budget: Budget = { entries: 0, bytes: 0, incomplete: false };
  const finding = await scanDir(root, root, tokens, budget, 0);
  return { finding, incomplete: budget.incomplete };
}

async function scanDir(
  root: string,
  dir: string,
  tokens: TaskTokens,
  budget: Budget,
  depth: number,
): Promise<MountFinding | undefined> {
  if (depth > MAX_DEPTH) {
    budget.incomplete = true;
    return undefined;
  }
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (++budget.entries > MAX_ENTRIES) {
      budget.incomplete = true;
      return undefined;
    }
    const path = join(dir, entry.name);
    const shown = relative(root, path);
    if (isTokenFileName(entry.name)) return { kind: 'token-file', path: shown };
    if (entry.isDirectory()) {
      const found = await scanDir(root, path, tokens, budget, depth + 1);
      if (found || budget.incomplete) return found;
    } else if (entry.isFile()) {
      const found = await scanFile(path, shown, tokens, budget);
      if (found || budget.incomplete) return found;
    }
  }
  return undefined;
}

async function scanFile(
  path: string,
  shown: string,
  tokens: TaskTokens,
  budget: Budget,
): Promise<MountFinding | undefined> {
  const info = await lstat(path).catch(() => undefined);
  if (!info || info.size > MAX_SCANNED_FILE_BYTES) return undefined;
  if (budget.bytes + info.size > MAX_TOTAL_BYTES) {
    budget.incomplete = true;
    return undefined;
  }
  budget.bytes += info.size;
  // A regular file (readdir said so): reading it cannot block like a FIFO would.
  const text = await readFile(path, 'latin1').catch(() => '');
  const token = tokenIn(text, tokens);
  if (token !== undefined) return { kind: 'token-value', path: shown, token };
  if (holdsWorkloadIdentity(text)) return { kind: 'workload-identity', path: shown };
  return undefined;
}
