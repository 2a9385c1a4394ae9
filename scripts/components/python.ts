// Python components, built by componentize-py (and whatever it needs, e.g.
// spin-sdk) from PyPI, exactly as a user's toolchain would build them.
//
// test/components/python/<name>/ holds the app and a build.json:
//   { "requirements": ["componentize-py==0.25.1", "spin-sdk==3.4.1"],
//     "args": ["-w", "spin-http", "componentize", "app", "-o", "{out}"] }
// `requirements` are pip-installed into a venv of their own under
// .cache/python/<hash of the list> (two components may pin different
// versions of one package); `args` are componentize-py's, run in the
// component's directory, with {out} (the output file), {site} (the venv's
// site-packages) and {root} (the repository) replaced.
// A component is rebuilt when a file of its directory or its requirements change.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildIfChanged, hash, type BuiltComponents } from './cache.ts';

const run = promisify(execFile);

interface PythonBuild {
  readonly requirements: readonly string[];
  readonly args: readonly string[];
}

export async function buildPythonComponents(root: string, out: string): Promise<BuiltComponents> {
  const sources = join(root, 'test/components/python');
  const built: BuiltComponents = {};
  if (!existsSync(sources)) return built;
  for (const name of (await readdir(sources, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()) {
    const dir = join(sources, name);
    const build = JSON.parse(await readFile(join(dir, 'build.json'), 'utf8')) as PythonBuild;
    const key = hash(`${JSON.stringify(build)}\n${await directoryDigest(dir)}`);
    built[name] = await buildIfChanged(out, name, key, async (target) => {
      const venv = await ensureVenv(root, build.requirements);
      const site = (
        await run(join(venv, 'bin/python'), ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'])
      ).stdout.trim();
      const args = build.args.map((a) =>
        a.replaceAll('{out}', target).replaceAll('{site}', site).replaceAll('{root}', root),
      );
      await run(join(venv, 'bin/componentize-py'), args, {
        cwd: dir,
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' }, // no __pycache__ in the source tree
      });
    });
  }
  return built;
}

/**
 * A venv with exactly these requirements, made once. Built in place (a
 * venv's scripts name their interpreter by absolute path, so it cannot be
 * moved); `.complete` marks one that finished, anything else is made anew.
 */
async function ensureVenv(root: string, requirements: readonly string[]): Promise<string> {
  const venv = join(root, '.cache/python', hash(requirements.join('\n')).slice(0, 16));
  if (existsSync(join(venv, '.complete'))) return venv;
  await rm(venv, { recursive: true, force: true });
  await mkdir(join(root, '.cache/python'), { recursive: true });
  await run('python3', ['-m', 'venv', venv]);
  await run(join(venv, 'bin/pip'), ['install', '--quiet', '--disable-pip-version-check', ...requirements], {
    maxBuffer: 16 * 1024 * 1024,
  });
  await writeFile(join(venv, '.complete'), `${requirements.join('\n')}\n`);
  return venv;
}

/** sha256 over every file of a directory (names and contents), in name order. */
async function directoryDigest(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const entry of (await readdir(dir, { recursive: true, withFileTypes: true })).sort((a, b) =>
    join(a.parentPath, a.name).localeCompare(join(b.parentPath, b.name)),
  )) {
    if (!entry.isFile() || entry.name.endsWith('.pyc')) continue;
    const path = join(entry.parentPath, entry.name);
    parts.push(`${path.slice(dir.length)}\n${hash(await readFile(path))}`);
  }
  return hash(parts.join('\n'));
}
