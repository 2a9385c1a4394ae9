// A real Vault v1.13.0 server (scripts/build-vault.sh) on a free loopback
// port. Two flavours:
// - dev (`vault server -dev`): in-memory, root token known, fast;
// - persistent (file storage, initialised and unsealed here): survives a
//   stop and restart, for tests where Vault goes away mid-run and comes back.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../support/ports.ts';
import { builtBinary } from '../../support/built-binary.ts';

export function vaultBinary(): string {
  return builtBinary('build-vault.sh', 'VAULT_BIN');
}

export class VaultApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'VaultApiError';
    this.status = status;
  }
}

export class VaultServer {
  private process: ChildProcess | undefined;
  rootToken = '';
  private unsealKey = '';

  readonly dir: string;
  readonly port: number;
  readonly persistent: boolean;

  // Plain fields, no parameter properties: the benchmark runs this file with
  // Node's type stripping, which does not support them.
  private constructor(dir: string, port: number, persistent: boolean) {
    this.dir = dir;
    this.port = port;
    this.persistent = persistent;
  }

  static async start(options: { persistent?: boolean } = {}): Promise<VaultServer> {
    const dir = mkdtempSync(join(tmpdir(), 'vault-'));
    const server = new VaultServer(dir, await freePort(), options.persistent ?? false);
    if (server.persistent) {
      writeFileSync(
        join(dir, 'vault.hcl'),
        `storage "file" { path = "${join(dir, 'data')}" }
listener "tcp" {
  address     = "127.0.0.1:${server.port}"
  tls_disable = true
}
api_addr      = "http://127.0.0.1:${server.port}"
disable_mlock = true
ui            = false
`,
      );
    } else {
      server.rootToken = `root-${process.hrtime.bigint()}`;
    }
    await server.launch();
    return server;
  }

  get address(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get logPath(): string {
    return join(this.dir, 'vault.log');
  }

  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Stops the server (SIGTERM; SIGKILL after 10 s). A dev server loses everything. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (this.running) {
      child.kill('SIGKILL');
      await exited;
    }
  }

  /** Starts a stopped persistent server again and unseals it. */
  async restart(): Promise<void> {
    if (!this.persistent) throw new Error('a dev server cannot be restarted: it keeps its state in memory');
    await this.launch();
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no vault log)';
    }
  }

  /** One API call with a token (the root token by default); JSON in, JSON out. */
  async api(method: string, path: string, body?: unknown, token = this.rootToken): Promise<Record<string, unknown>> {
    const response = await fetch(`${this.address}/v1/${path}`, {
      method,
      headers: { 'X-Vault-Token': token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new VaultApiError(response.status, `${method} ${path}: ${response.status} ${text}`);
    return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  }

  private async launch(): Promise<void> {
    const log = openSync(this.logPath, 'a');
    const args = this.persistent
      ? ['server', `-config=${join(this.dir, 'vault.hcl')}`]
      : [
          'server',
          '-dev',
          `-dev-root-token-id=${this.rootToken}`,
          `-dev-listen-address=127.0.0.1:${this.port}`,
          '-dev-no-store-token',
        ];
    // Nothing of ours (VAULT_* of the test run) reaches the server.
    this.process = spawn(vaultBinary(), args, {
      cwd: this.dir,
      stdio: ['ignore', log, log],
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: this.dir },
    });
    closeSync(log);
    await this.waitFor((health) => health.status !== 0);
    if (this.persistent) {
      if (this.unsealKey === '') {
        const init = await this.unauthenticated('PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 });
        this.unsealKey = (init['keys'] as string[])[0] ?? '';
        this.rootToken = String(init['root_token']);
      }
      await this.unauthenticated('PUT', 'sys/unseal', { key: this.unsealKey });
    }
    // 200: initialised, unsealed, active.
    await this.waitFor((health) => health.status === 200);
  }

  private async unauthenticated(method: string, path: string, body: unknown): Promise<Record<string, unknown>> {
    const response = await fetch(`${this.address}/v1/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  }

  private async waitFor(ready: (health: { status: number }) => boolean, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`vault server exited:\n${this.logTail()}`);
      const status = await fetch(`${this.address}/v1/sys/health`).then(
        (r) => r.status,
        () => 0,
      );
      if (ready({ status })) return;
      await sleep(100);
    }
    throw new Error(`vault server not ready within ${timeoutMs} ms:\n${this.logTail()}`);
  }
}
