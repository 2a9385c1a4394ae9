// Go programs built by the machine's Go toolchain for WASI preview1
// (`GOOS=wasip1 GOARCH=wasm go build`), as a user builds them: the output is
// a core WebAssembly module, not a component. One program per directory of
// the module test/components/go (which requires nothing).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildIfChanged, hash, type BuiltComponents } from './cache.ts';

const run = promisify(execFile);

export async function buildGoPrograms(root: string, out: string): Promise<BuiltComponents> {
  const module = join(root, 'test/components/go');
  const built: BuiltComponents = {};
  if (!existsSync(module)) return built;
  const goVersion = (await run('go', ['env', 'GOVERSION'])).stdout.trim();
  const goMod = await readFile(join(module, 'go.mod'), 'utf8');
  for (const name of (await readdir(module, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()) {
    const files = (await readdir(join(module, name))).filter((f) => f.endsWith('.go')).sort();
    const sources = await Promise.all(files.map(async (f) => `${f}\n${await readFile(join(module, name, f), 'utf8')}`));
    const key = hash(`${goVersion}\n${goMod}\n${sources.join('\n')}`);
    built[name] = await buildIfChanged(out, name, key, async (target) => {
      await run('go', ['build', '-trimpath', '-o', target, `./${name}`], {
        cwd: module,
        env: { ...process.env, GOOS: 'wasip1', GOARCH: 'wasm', GOTOOLCHAIN: 'local', CGO_ENABLED: '0' },
      });
    });
  }
  return built;
}
