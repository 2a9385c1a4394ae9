// OpenTofu (built from its Go module by scripts/build-opentofu.sh) with this
// repository's provider installed from a filesystem mirror through a CLI
// config written here: no registry is ever asked. Working copies of
// terraform/ live in temp dirs so init's lock files never land in the repo.
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../e2e/support/nomad-agent.ts';

export const PROVIDER_SOURCE = 'nomad-driver-wasm.local/nomad-driver-wasm/nomadwasm';

export interface TofuResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A CLI (tofu, or an MPL Terraform) with the CLI config that installs our provider offline. */
export interface IacCli {
  readonly name: string;
  readonly bin: string;
  readonly version: string;
  readonly env: NodeJS.ProcessEnv;
}

function lastLine(output: string): string {
  const lines = output.trim().split('\n');
  const line = lines[lines.length - 1];
  if (!line) throw new Error('script printed nothing');
  return line;
}

let prepared: { mirror: string; cliConfig: string; nomadWasm: string } | undefined;

/** Builds OpenTofu and the provider (both cached) and writes the CLI config. */
export function prepareProviderMirror(): { mirror: string; cliConfig: string; nomadWasm: string } {
  if (prepared) return prepared;
  const mirror = lastLine(
    execFileSync('bash', [join(REPO_ROOT, 'scripts/build-terraform-provider.sh')], { encoding: 'utf8' }),
  );
  const cliConfig = join(REPO_ROOT, '.cache/terraform/offline.tfrc');
  // Only the mirror: no `direct` block, so nothing can be fetched from a registry.
  // Written whole and renamed: test files running side by side may both write it.
  const temp = `${cliConfig}.${process.pid}`;
  writeFileSync(
    temp,
    `provider_installation {\n  filesystem_mirror {\n    path    = "${mirror}"\n    include = ["${PROVIDER_SOURCE}"]\n  }\n}\n`,
  );
  renameSync(temp, cliConfig);
  prepared = { mirror, cliConfig, nomadWasm: join(REPO_ROOT, 'bin/nomad-wasm') };
  return prepared;
}

export function openTofu(): IacCli {
  const bin = lastLine(execFileSync('bash', [join(REPO_ROOT, 'scripts/build-opentofu.sh')], { encoding: 'utf8' }));
  const version =
    /v(\d+\.\d+\.\d+)/.exec(execFileSync(bin, ['version'], { encoding: 'utf8', env: cliEnv() }))?.[1] ?? 'unknown';
  return { name: 'OpenTofu', bin, version, env: cliEnv() };
}

function cliEnv(): NodeJS.ProcessEnv {
  const { cliConfig, nomadWasm } = prepareProviderMirror();
  const { AWS_CA_BUNDLE: _ignored, ...env } = process.env;
  return {
    ...env,
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    NO_COLOR: '1',
    NOMAD_WASM_CLI: nomadWasm,
  };
}

/**
 * Terraform >= 1.6 is BUSL-licensed and never run. The binary on PATH is
 * not executed to learn its version: the version is read from the file
 * (Terraform embeds version/VERSION as "X.Y.Z\n"). Only a Terraform proven
 * to be < 1.6 (MPL-2.0) is returned.
 */
export function mplTerraformOnPath(): IacCli | undefined {
  const bin = (process.env.PATH ?? '')
    .split(':')
    .map((dir) => join(dir, 'terraform'))
    .find((p) => existsSync(p));
  if (!bin) return undefined;
  const versions = new Set(
    [
      ...readFileSync(bin)
        .toString('latin1')
        .matchAll(/(?<![0-9.])(1\.\d{1,2}\.\d{1,2})\n/g),
    ].map((m) => m[1]),
  );
  const version = versions.size === 1 ? [...versions][0] : undefined;
  const minor = version ? Number(version.split('.')[1]) : undefined;
  if (version === undefined || minor === undefined || minor >= 6) {
    console.warn(
      `SKIPPED: terraform ${version ?? '(version not readable without running it)'} on PATH (${bin}) is BUSL-licensed; not run`,
    );
    return undefined;
  }
  return { name: 'Terraform', bin, version, env: cliEnv() };
}

/** A scratch copy of terraform/ (modules + examples), so init writes nothing into the repo. */
export function workingCopy(): { root: string; remove: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'tofu-work-'));
  for (const part of ['modules', 'examples'])
    cpSync(join(REPO_ROOT, 'terraform', part), join(root, part), {
      recursive: true,
      filter: (src) => !src.includes('.terraform'),
    });
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export function run(
  cli: IacCli,
  dir: string,
  args: readonly string[],
  extraEnv: NodeJS.ProcessEnv = {},
  timeoutMs = 600_000,
): Promise<TofuResult> {
  return new Promise((resolve) => {
    execFile(
      cli.bin,
      [...args],
      { cwd: dir, env: { ...cli.env, ...extraEnv }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs and fails with the CLI's whole output when the exit code is not 0. */
export async function mustRun(
  cli: IacCli,
  dir: string,
  args: readonly string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<TofuResult> {
  const result = await run(cli, dir, args, extraEnv);
  if (result.code !== 0)
    throw new Error(`${cli.name} ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** `-var-file` content from a JS object (JSON is a valid .tfvars.json). */
export function writeVars(dir: string, name: string, vars: Record<string, unknown>): string {
  const file = join(dir, `${name}.tfvars.json`);
  writeFileSync(file, JSON.stringify(vars, null, 2));
  return file;
}
