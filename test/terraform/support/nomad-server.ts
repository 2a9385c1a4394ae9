// A real Nomad 1.6.3 server with no client of its own: every allocation of
// the apply test must land on the node the client module's bootstrap
// brings up.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nomadBinary } from '../../e2e/support/nomad-agent.ts';
import { loopbackServerHcl } from '../../support/nomad-hcl.ts';
import { freePort } from '../../support/ports.ts';

export class NomadServer {
  readonly dir: string;
  readonly ports: { http: number; rpc: number; serf: number };
  private child: ChildProcess | undefined;

  private constructor(dir: string, ports: { http: number; rpc: number; serf: number }) {
    this.dir = dir;
    this.ports = ports;
  }

  get address(): string {
    return `http://127.0.0.1:${this.ports.http}`;
  }

  get rpcAddress(): string {
    return `127.0.0.1:${this.ports.rpc}`;
  }

  /** `extraConfig`: HCL appended to the server's config (e.g. its vault block). */
  static async start(options: { extraConfig?: string } = {}): Promise<NomadServer> {
    const dir = await mkdtemp(join(tmpdir(), 'nomad-server-'));
    const server = new NomadServer(dir, { http: await freePort(), rpc: await freePort(), serf: await freePort() });
    await mkdir(join(dir, 'data'));
    await writeFile(
      join(dir, 'server.hcl'),
      `${loopbackServerHcl(join(dir, 'data'), server.ports)}
${options.extraConfig ?? ''}
`,
    );
    const log = openSync(join(dir, 'server.log'), 'a');
    server.child = spawn(nomadBinary(), ['agent', '-config', join(dir, 'server.hcl')], {
      cwd: dir,
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    await server.waitForLeader();
    return server;
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(join(this.dir, 'server.log'), 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no server log)';
    }
  }

  async get<T>(path: string): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.address}${path}`);
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async send(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.address}${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  private async waitForLeader(): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.child?.exitCode !== null && this.child?.exitCode !== undefined)
        throw new Error(`Nomad server exited:\n${this.logTail()}`);
      const leader: unknown = await fetch(`${this.address}/v1/status/leader`).then(
        (r) => (r.ok ? r.json() : ''),
        () => '',
      );
      if (typeof leader === 'string' && leader !== '') return;
      await sleep(250);
    }
    throw new Error(`Nomad server elected no leader within 60 s:\n${this.logTail()}`);
  }

  async destroy(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT');
      await Promise.race([exited, sleep(15_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
