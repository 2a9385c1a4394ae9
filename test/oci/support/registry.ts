// Starts a real CNCF distribution registry (Debian's docker-registry, installed
// by scripts/ensure-registry.sh) on a loopback port with its own storage in a
// temp dir, in one of three auth flavours.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from '../../support/ports.ts';

export { freePort };

export const REGISTRY_BIN = process.env.DOCKER_REGISTRY_BIN ?? '/usr/bin/docker-registry';

export type RegistryAuth =
  | { kind: 'anonymous' }
  | { kind: 'htpasswd'; username: string; password: string }
  | { kind: 'token'; realm: string; service: string; issuer: string; rootCertPath: string };

export interface RunningRegistry {
  /** `127.0.0.1:<port>`, as used in references. */
  readonly host: string;
  readonly dir: string;
  /** The registry's stderr so far (for failing-test diagnostics). */
  log(): string;
  stop(): Promise<void>;
}

function authYaml(auth: RegistryAuth, dir: string): string {
  switch (auth.kind) {
    case 'anonymous':
      return '';
    case 'htpasswd':
      return `auth:\n  htpasswd:\n    realm: test-basic-realm\n    path: ${join(dir, 'htpasswd')}\n`;
    case 'token':
      return (
        `auth:\n  token:\n    realm: ${auth.realm}\n    service: ${auth.service}\n` +
        `    issuer: ${auth.issuer}\n    rootcertbundle: ${auth.rootCertPath}\n`
      );
  }
}

async function waitUntilServing(host: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${log()}`);
    try {
      const response = await fetch(`http://${host}/v2/`);
      // 401 is "up, wants auth".
      if (response.status === 200 || response.status === 401) return;
    } catch {
      // Not listening yet.
    }
    await delay(50);
  }
  throw new Error(`docker-registry did not start on ${host}: ${log()}`);
}

export interface RegistryListen {
  /** Loopback address to bind; default 127.0.0.1. */
  readonly ip?: string;
  /** Serve https with this certificate and key. */
  readonly tls?: { readonly certPath: string; readonly keyPath: string };
}

/** Waits for the TCP port (used for TLS registries, whose cert the probe would not trust). */
async function waitUntilListening(ip: string, port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, ip, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await delay(50);
  }
  throw new Error(`docker-registry did not start on ${ip}:${port}: ${log()}`);
}

export async function startRegistry(
  auth: RegistryAuth = { kind: 'anonymous' },
  listen: RegistryListen = {},
): Promise<RunningRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'oci-registry-'));
  if (auth.kind === 'htpasswd') {
    const line = execFileSync('htpasswd', ['-Bbn', auth.username, auth.password], { encoding: 'utf8' });
    await writeFile(join(dir, 'htpasswd'), line);
  }
  const port = await freePort();
  const ip = listen.ip ?? '127.0.0.1';
  const host = `${ip}:${port}`;
  const config =
    `version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n` +
    `storage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\n` +
    `http:\n  addr: ${host}\n  secret: test-secret\n` +
    (listen.tls === undefined
      ? ''
      : `  tls:\n    certificate: ${listen.tls.certPath}\n    key: ${listen.tls.keyPath}\n`) +
    authYaml(auth, dir);
  const configPath = join(dir, 'config.yml');
  await writeFile(configPath, config);
  const child = spawn(REGISTRY_BIN, ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-20_000);
  });
  const log = (): string => stderr;
  try {
    if (listen.tls === undefined) await waitUntilServing(host, child, log);
    else await waitUntilListening(ip, port, child, log);
  } catch (err) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    host,
    dir,
    log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
