// A real Nomad 1.6.3 client started from the HCL the client module rendered,
// with plugin_dir laid out as the bootstrap leaves it (a link to this
// repository's wasm launcher): ready once the servers see the node with
// driver.wasm healthy, so Nomad and the plugin both accepted every block.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { killProcessesMatching, nomadBinary, REPO_ROOT } from '../../e2e/support/nomad-agent.ts';
import { unmountBelow } from '../../support/mounts.ts';
import { NomadHttp, StopWaiting } from './nomad-http.ts';

export interface NodeDirs {
  readonly install: string;
  readonly config: string;
  readonly data: string;
}

export interface RenderedNode {
  readonly ID: string;
  readonly Name: string;
  readonly Status: string;
  readonly Drivers: Record<string, { Detected: boolean; Healthy: boolean }>;
}

export class RenderedClient {
  readonly dir: string;
  readonly dirs: NodeDirs;
  private child: ChildProcess | undefined;

  private constructor(dir: string) {
    this.dir = dir;
    this.dirs = { install: join(dir, 'opt'), config: join(dir, 'etc'), data: join(dir, 'data') };
  }

  /** A scratch machine: install, config and data dirs, the launcher linked into plugins/. */
  static prepare(prefix = 'rendered-client-'): RenderedClient {
    const client = new RenderedClient(mkdtempSync(join(tmpdir(), prefix)));
    mkdirSync(join(client.dirs.install, 'plugins'), { recursive: true });
    mkdirSync(client.dirs.data, { recursive: true });
    symlinkSync(join(REPO_ROOT, 'plugins/wasm'), join(client.dirs.install, 'plugins/wasm'));
    return client;
  }

  logTail(lines = 40): string {
    try {
      return readFileSync(join(this.dir, 'client.log'), 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no client log)';
    }
  }

  log(): string {
    return readFileSync(join(this.dir, 'client.log'), 'utf8');
  }

  /** Starts `nomad agent` with the rendered HCL; resolves with the node once it is ready with driver.wasm healthy. */
  async start(hcl: string, servers: NomadHttp, nodeName: string, timeoutMs = 90_000): Promise<RenderedNode> {
    const configFile = join(this.dir, 'client.hcl');
    writeFileSync(configFile, hcl, { mode: 0o600 });
    const log = openSync(join(this.dir, 'client.log'), 'a');
    const { AWS_CA_BUNDLE: _ignored, ...env } = process.env;
    const child = spawn(nomadBinary(), ['agent', '-config', configFile], {
      cwd: this.dir,
      stdio: ['ignore', log, log],
      env,
    });
    this.child = child;
    closeSync(log);
    return servers
      .until(
        `the rendered client ${nodeName} to be ready with driver.wasm healthy`,
        async () => {
          if (child.exitCode !== null) throw new StopWaiting(`client exited ${child.exitCode}:\n${this.logTail()}`);
          const nodes = await servers.must<RenderedNode[]>('/v1/nodes');
          const node = nodes.find((n) => n.Name === nodeName);
          return node?.Status === 'ready' && node.Drivers.wasm?.Healthy ? node : undefined;
        },
        timeoutMs,
      )
      .catch((err: unknown) => {
        throw new Error(`${String(err)}\n--- client log ---\n${this.logTail()}`);
      });
  }

  /**
   * SIGINT (as systemd's KillSignal), SIGKILL after 20 s; then whatever is
   * left of tasks (task hosts outlive their agent by design) and the task
   * dirs' mounts, and the scratch dir.
   */
  async destroy(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT');
      await Promise.race([exited, sleep(20_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    killProcessesMatching(this.dir);
    unmountBelow(this.dir);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
