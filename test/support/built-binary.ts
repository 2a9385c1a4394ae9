// The servers the suites run (Nomad, Consul, Vault) are built by our
// scripts from their Go modules; each script is idempotent, prints the
// binary's path as its last line, and is skipped when the env var is set.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const REPO_ROOT = new URL('../../', import.meta.url).pathname;

export function builtBinary(script: string, envVar: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv) return fromEnv;
  const lines = execFileSync('bash', [join(REPO_ROOT, 'scripts', script)], { encoding: 'utf8' })
    .trim()
    .split('\n');
  const path = lines[lines.length - 1];
  if (!path) throw new Error(`scripts/${script} printed no binary path`);
  process.env[envVar] = path;
  return path;
}
