// The tokens Nomad gave a task (and, when asked, the other tasks of its
// allocation), collected by the plugin at StartTask only to make sure no
// grant carries one (token-guard.ts). Values live in this object for the
// length of that check and are never logged, stored or sent anywhere; each
// is known by a label such as "VAULT_TOKEN (task env)" for messages.
import { lstat, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MIN_TOKEN_LENGTH, TOKEN_DIRS, isTokenFileName, isTokenVariable } from './nomad-tokens.js';

/** Token files are small; anything larger is not one of Nomad's. */
const MAX_TOKEN_FILE_BYTES = 64 * 1024;

export interface KnownToken {
  readonly value: string;
  /** What it is, for messages: never the value. */
  readonly label: string;
}

export interface TaskTokens {
  readonly values: readonly KnownToken[];
  /** Absolute paths of the token files found (a mount must not show any). */
  readonly files: readonly string[];
}

export interface TokenSources {
  readonly env: Readonly<Record<string, string>>;
  readonly taskDir: string;
  readonly allocDir: string;
  /** Also read the other tasks' token files of the allocation (a mount of the shared alloc/ dir). */
  readonly siblings: boolean;
}

export async function collectTaskTokens(sources: TokenSources): Promise<TaskTokens> {
  const values: KnownToken[] = [];
  const files: string[] = [];
  const add = (value: string, label: string): void => {
    const trimmed = value.trim();
    if (trimmed.length >= MIN_TOKEN_LENGTH && !values.some((known) => known.value === trimmed))
      values.push({ value: trimmed, label });
  };
  for (const [name, value] of Object.entries(sources.env)) {
    if (isTokenVariable(name)) add(value, `${name} (task env)`);
  }
  const taskDirs = sources.siblings ? await allocTaskDirs(sources.allocDir) : [sources.taskDir];
  for (const taskDir of taskDirs) {
    const whose = taskDir === sources.taskDir ? '' : ` of task ${taskDir.slice(sources.allocDir.length + 1)}`;
    for (const dir of TOKEN_DIRS) {
      for (const file of await tokenFilesIn(join(taskDir, dir))) {
        files.push(file.path);
        add(file.value, `${dir}/${file.name}${whose}`);
      }
    }
  }
  return { values, files };
}

/** Every task dir of the allocation: its subdirectories other than the shared alloc/. */
async function allocTaskDirs(allocDir: string): Promise<string[]> {
  const entries = await readdir(allocDir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && e.name !== 'alloc').map((e) => join(allocDir, e.name));
}

async function tokenFilesIn(dir: string): Promise<Array<{ name: string; path: string; value: string }>> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const found: Array<{ name: string; path: string; value: string }> = [];
  for (const name of names.filter(isTokenFileName)) {
    const path = join(dir, name);
    const info = await lstat(path).catch(() => undefined);
    if (!info?.isFile() || info.size > MAX_TOKEN_FILE_BYTES) {
      // A token file's name without a token's shape is still refused by name (token-guard.ts).
      found.push({ name, path, value: '' });
      continue;
    }
    found.push({ name, path, value: await readFile(path, 'utf8').catch(() => '') });
  }
  return found;
}

/** The label of the first known token the text contains, if any. */
export function tokenIn(text: string, tokens: TaskTokens): string | undefined {
  return tokens.values.find((token) => text.includes(token.value))?.label;
}
