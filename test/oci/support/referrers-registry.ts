// Builds and starts test/oci/referrers-registry (go-containerregistry's
// in-memory registry with the OCI referrers API on) on a loopback port.
// Needs Go; the binary is cached in .cache/bin and rebuilt by `go build`'s
// own cache when the source changes.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const SOURCE = fileURLToPath(new URL('../referrers-registry/', import.meta.url));
const BIN_DIR = fileURLToPath(new URL('../../../.cache/bin/', import.meta.url));

export interface ReferrersRegistry {
  readonly host: string;
  stop(): Promise<void>;
}

export async function startReferrersRegistry(): Promise<ReferrersRegistry> {
  mkdirSync(BIN_DIR, { recursive: true });
  const bin = join(BIN_DIR, 'referrers-registry');
  execFileSync('go', ['build', '-buildvcs=false', '-trimpath', '-o', bin, '.'], {
    cwd: SOURCE,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const child = spawn(bin, ['127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const host = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /listening on (\S+)\n/.exec(out);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`referrers-registry exited with ${code}: ${out}`)));
  });
  return {
    host,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
