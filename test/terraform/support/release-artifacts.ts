// The three downloads the client module's bootstrap installs, made from what
// this machine has (there is no network to releases.hashicorp.com or
// nodejs.org): a Nomad release zip of the Nomad 1.6.3 we build from its Go
// module, a Node.js tarball in nodejs.org's layout (node-v<ver>-linux-x64/bin/node)
// of the Node the npm `node` package installed, and the driver tarball of
// scripts/pack-driver.sh. They are served over loopback HTTP and pinned by
// their sha256, exactly as the module's inputs pin the official files.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  copyFileSync,
  renameSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { nomadBinary, REPO_ROOT } from '../../e2e/support/nomad-agent.ts';

export interface Release {
  readonly version: string;
  readonly file: string;
  readonly sha256: string;
}

export interface ReleaseArtifacts {
  readonly dir: string;
  readonly nomad: Release;
  readonly nodejs: Release;
  readonly driver: Release;
}

const RELEASES = join(REPO_ROOT, '.cache/dist');

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

/** Rebuilds `out` only when it is missing or older than `source`. */
function fresh(out: string, source: string): boolean {
  return existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs;
}

export async function releaseArtifacts(): Promise<ReleaseArtifacts> {
  mkdirSync(RELEASES, { recursive: true });

  const nomadBin = nomadBinary();
  const nomadVersion = /nomad-(\d+\.\d+\.\d+)$/.exec(nomadBin)?.[1] ?? '1.6.3';
  const nomadZip = join(RELEASES, `nomad_${nomadVersion}_linux_amd64.zip`);
  if (!fresh(nomadZip, nomadBin)) {
    const stage = mkdtempSync(join(tmpdir(), 'nomad-zip-'));
    copyFileSync(nomadBin, join(stage, 'nomad'));
    execFileSync('python3', [
      '-c',
      'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED); z.write(sys.argv[2], "nomad"); z.close()',
      `${nomadZip}.tmp`,
      join(stage, 'nomad'),
    ]);
    renameSync(`${nomadZip}.tmp`, nomadZip);
    rmSync(stage, { recursive: true, force: true });
  }

  const nodeBin = realpathSync(join(REPO_ROOT, 'node_modules/.bin/node'));
  const nodeVersion = execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim().replace(/^v/, '');
  const nodeName = `node-v${nodeVersion}-linux-x64`;
  const nodeTarball = join(RELEASES, `${nodeName}.tar.gz`);
  if (!fresh(nodeTarball, nodeBin)) {
    const stage = mkdtempSync(join(tmpdir(), 'node-tar-'));
    mkdirSync(join(stage, nodeName, 'bin'), { recursive: true });
    symlinkSync(nodeBin, join(stage, nodeName, 'bin', 'node'));
    execFileSync('tar', ['-czhf', `${nodeTarball}.tmp`, '-C', stage, nodeName]);
    renameSync(`${nodeTarball}.tmp`, nodeTarball);
    rmSync(stage, { recursive: true, force: true });
  }

  const packed = execFileSync('bash', [join(REPO_ROOT, 'scripts/pack-driver.sh')], { encoding: 'utf8' })
    .trim()
    .split('\n');
  const driverTarball = packed[packed.length - 1] ?? '';
  const driverVersion = /nomad-driver-wasm-([^-]+)-linux/.exec(basename(driverTarball))?.[1] ?? '0.0.0';

  return {
    dir: RELEASES,
    nomad: { version: nomadVersion, file: nomadZip, sha256: await sha256File(nomadZip) },
    nodejs: { version: nodeVersion, file: nodeTarball, sha256: await sha256File(nodeTarball) },
    driver: { version: driverVersion, file: driverTarball, sha256: await sha256File(driverTarball) },
  };
}
