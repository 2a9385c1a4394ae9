// The real cosign CLI (scripts/ensure-cosign.sh builds v2.6.5 from its Go
// module), as a user runs it to sign and attest components in a registry:
// with --new-bundle-format, cosign v3's default, bundles are stored as OCI
// 1.1 referrers annotated with their predicate type. Each instance has its
// own HOME and key pair.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function cosignBinary(): string {
  const bin = process.env['COSIGN_BIN'] ?? join(ROOT, '.cache', 'bin', 'cosign');
  if (!existsSync(bin))
    execFileSync('bash', [join(ROOT, 'scripts', 'ensure-cosign.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  return bin;
}

export class Cosign {
  readonly dir: string;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'cosign-'));
    this.run(['generate-key-pair']);
  }

  get publicKeyPem(): string {
    return readFileSync(join(this.dir, 'cosign.pub'), 'utf8');
  }

  run(args: readonly string[]): string {
    const r = spawnSync(cosignBinary(), args, {
      cwd: this.dir,
      env: { ...process.env, HOME: this.dir, COSIGN_PASSWORD: '', COSIGN_YES: 'true' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (r.status !== 0) throw new Error(`cosign ${args.join(' ')} exited ${String(r.status)}: ${r.stdout}${r.stderr}`);
    return `${r.stdout}${r.stderr}`;
  }

  /** `cosign sign` of an image by digest (`host/repo@sha256:…`), keyed, no transparency log. */
  sign(image: string): void {
    this.run([
      'sign',
      '--key',
      'cosign.key',
      '--new-bundle-format',
      '--tlog-upload=false',
      '--allow-insecure-registry',
      image,
    ]);
  }

  /** `cosign attest --type <type> --predicate <json>` of an image by digest. */
  attest(image: string, type: string, predicate: unknown): void {
    const file = join(this.dir, `predicate-${Date.now()}-${Math.random().toString(16).slice(2)}.json`);
    writeFileSync(file, typeof predicate === 'string' ? predicate : JSON.stringify(predicate));
    this.run([
      'attest',
      '--key',
      'cosign.key',
      '--type',
      type,
      '--predicate',
      file,
      '--new-bundle-format',
      '--tlog-upload=false',
      '--allow-insecure-registry',
      image,
    ]);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A SLSA v1 provenance predicate as GitHub's generator writes it for a tag build. */
export function slsaProvenance(
  repository: string,
  ref: string,
  builder = 'https://github.com/actions/runner/github-hosted',
): unknown {
  return {
    buildDefinition: {
      buildType: 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1',
      externalParameters: { workflow: { ref, repository, path: '.github/workflows/release.yml' } },
      internalParameters: { github: { event_name: 'push' } },
      resolvedDependencies: [
        { uri: `git+${repository}@${ref}`, digest: { gitCommit: '0123456789abcdef0123456789abcdef01234567' } },
      ],
    },
    runDetails: { builder: { id: builder }, metadata: { invocationId: `${repository}/actions/runs/1/attempts/1` } },
  };
}
