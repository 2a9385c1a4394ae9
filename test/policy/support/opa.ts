// The real OPA CLI (built from OPA's Go module by scripts/build-opa.sh) for
// the policy tests: compiles Rego to OPA's Wasm target exactly as an
// operator would, and answers `opa eval` as the reference for our builtins.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const OPA_VERSION = '1.22.4';
export const CAPABILITIES = join(ROOT, 'policy', 'capabilities.json');

/** The OPA binary; built on first use (a few minutes cold, instant when cached). */
export function opaBinary(): string {
  const bin = join(ROOT, '.cache', 'bin', `opa-${OPA_VERSION}`);
  if (!existsSync(bin))
    execFileSync('bash', [join(ROOT, 'scripts', 'build-opa.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  return bin;
}

export interface OpaRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function opa(args: readonly string[], cwd?: string): OpaRun {
  const r = spawnSync(opaBinary(), args, { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `opa build -t wasm -e <entrypoint>` of the given files (name → text) into a
 * bundle; with `capabilities` (the default) against policy/capabilities.json;
 * `target: 'rego'` makes a bundle of Rego files only.
 */
export function buildBundle(
  files: Readonly<Record<string, string>>,
  entrypoints: readonly string[],
  options: { capabilities?: boolean; target?: 'wasm' | 'rego' } = {},
): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'opa-build-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const args = [
      'build',
      '-t',
      options.target ?? 'wasm',
      ...entrypoints.flatMap((e) => ['-e', e]),
      '-o',
      'bundle.tar.gz',
    ];
    if (options.capabilities !== false) args.push('--capabilities', CAPABILITIES);
    const r = opa([...args, ...Object.keys(files)], dir);
    if (r.status !== 0) throw new Error(`opa build failed: ${r.stderr}${r.stdout}`);
    return readFileSync(join(dir, 'bundle.tar.gz'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `opa eval` (OPA's own evaluator, topdown) of one expression; undefined when it is undefined. */
export function opaEval(expression: string): unknown {
  const r = opa(['eval', '--format', 'json', expression]);
  if (r.status !== 0) throw new Error(`opa eval ${expression} failed: ${r.stderr}${r.stdout}`);
  const parsed = JSON.parse(r.stdout) as { result?: { expressions: { value: unknown }[] }[] };
  return parsed.result?.[0]?.expressions[0]?.value;
}
