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
// site-packages), {root} (the repository) and {work} (a scratch directory
// of this build) replaced.
// build.json may also be a list of such objects, each with a `name`: one
// component per entry from the same sources. An entry's `rewrites` copy a
// WIT directory (e.g. one from a wheel) to {work} with exact string
// replacements; a replacement that matches nothing fails the build (it
// would otherwise build the unchanged WIT silently).
// A component is rebuilt when a file of its directory or its requirements change.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildIfChanged, hash, type BuiltComponents } from './cache.ts';

const run = promisify(execFile);

interface PythonBuild {
  /** Required when build.json lists several builds; the directory's name otherwise. */
  readonly name?: string;
  readonly requirements: readonly string[];
  readonly args: readonly string[];
  readonly rewrites?: readonly WitRewrite[];
}

interface WitRewrite {
  readonly from: string;
  readonly to: string;
  readonly replace: readonly (readonly [string, string])[];
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
    const parsed = JSON.parse(await readFile(join(dir, 'build.json'), 'utf8')) as PythonBuild | PythonBuild[];
    const digest = await directoryDigest(dir);
    for (const build of Array.isArray(parsed) ? parsed : [parsed]) {
      const componentName = build.name ?? name;
      const key = hash(`${JSON.stringify(build)}\n${digest}`);
      built[componentName] = await buildIfChanged(out, componentName, key, async (target) => {
        const venv = await ensureVenv(root, build.requirements);
        const site = (
          await run(join(venv, 'bin/python'), ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'])
        ).stdout.trim();
        const work = await mkdtemp(join(tmpdir(), `componentize-py-${componentName}-`));
        try {
          const expand = (a: string): string =>
            a
              .replaceAll('{out}', target)
              .replaceAll('{site}', site)
              .replaceAll('{root}', root)
              .replaceAll('{work}', work);
          for (const rewrite of build.rewrites ?? [])
            await rewriteWit(expand(rewrite.from), expand(rewrite.to), rewrite.replace);
          await run(join(venv, 'bin/componentize-py'), build.args.map(expand), {
            cwd: dir,
            maxBuffer: 16 * 1024 * 1024,
            env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' }, // no __pycache__ in the source tree
          });
        } finally {
          await rm(work, { recursive: true, force: true });
        }
      });
    }
  }
  return built;
}

/** Copies the .wit files of `from` to `to`, each replacement applied; one that matches nowhere fails. */
async function rewriteWit(
  from: string,
  to: string,
  replacements: readonly (readonly [string, string])[],
): Promise<void> {
  await mkdir(to, { recursive: true });
  const used = new Set<number>();
  for (const file of (await readdir(from)).filter((f) => f.endsWith('.wit'))) {
    let text = await readFile(join(from, file), 'utf8');
    replacements.forEach(([find, replace], i) => {
      if (!text.includes(find)) return;
      used.add(i);
      text = text.replaceAll(find, replace);
    });
    await writeFile(join(to, file), text);
  }
  const unused = replacements.filter((_, i) => !used.has(i)).map(([find]) => find);
  if (unused.length > 0)
    throw new Error(
      `WIT rewrite of ${from}: ${unused.map((f) => `"${f}"`).join(', ')} found in no file (did the WIT change?)`,
    );
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
