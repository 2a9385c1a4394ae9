// What every component builder shares: an output is rebuilt only when the
// key of its sources changed (a `<name>.wasm.source-sha256` stamp beside it).
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** name → sha256 of the built file. */
export type BuiltComponents = Record<string, string>;

export function hash(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Runs `build(target)` when the stamp beside `<out>/<name>.wasm` differs
 * from `key`, and returns the sha256 of the file either way.
 */
export async function buildIfChanged(
  out: string,
  name: string,
  key: string,
  build: (target: string) => Promise<void>,
): Promise<string> {
  const target = join(out, `${name}.wasm`);
  const stamp = `${target}.source-sha256`;
  if ((await readFile(stamp, 'utf8').catch(() => '')) !== key) {
    const started = performance.now();
    await build(target);
    await writeFile(stamp, key);
    const size = (await readFile(target)).length;
    console.log(`built ${name}.wasm (${size} bytes, ${(performance.now() - started).toFixed(0)} ms)`);
  }
  return hash(await readFile(target));
}
