// A real Nomad agent (server + client, one node) for the end-to-end suite,
// built from Nomad's Go module by scripts/build-nomad.sh, with this repo's
// plugins/ as its plugin_dir. Not `-dev`: dev mode keeps server state in
// memory, and the suite restarts agents to test task recovery.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NomadApi } from './nomad-api.ts';
import { builtBinary } from '../../support/built-binary.ts';
import { unmountBelow } from '../../support/mounts.ts';
import { freePort } from '../../support/ports.ts';
import { loopbackServerHcl } from '../../support/nomad-hcl.ts';

export const REPO_ROOT = new URL('../../../', import.meta.url).pathname;

export class AgentStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentStartError';
  }
}

export interface NomadAgentOptions {
  /** HCL appended to the agent config (extra plugin blocks and so on). */
  readonly extraConfig?: string;
  /** HCL added inside `plugin "wasm" { config { ... } }` (signatures, registry blocks); a function gets the agent's ports. */
  readonly wasmPluginConfig?: string | ((ports: { http: number; rpc: number; serf: number }) => string);
  /** Drivers that must be healthy before the agent counts as ready. */
  readonly drivers?: readonly string[];
  /**
   * A newcomer's client config: no `plugin "wasm"` block (Nomad 1.6 loads
   * every plugin in plugin_dir; the driver runs on its defaults) and no
   * telemetry block.
   */
  readonly minimal?: boolean;
}

// Plain fields, no parameter properties: scripts/dev-run.ts runs this file
// with Node's type stripping, which does not support them.
export class NomadAgent {
  private process: ChildProcess | undefined;
  readonly api: NomadApi;
  readonly dir: string;
  readonly ports: { http: number; rpc: number; serf: number };
  private readonly options: NomadAgentOptions;

  private constructor(dir: string, ports: { http: number; rpc: number; serf: number }, options: NomadAgentOptions) {
    this.dir = dir;
    this.ports = ports;
    this.options = options;
    this.api = new NomadApi(`http://127.0.0.1:${ports.http}`);
  }

  static async start(options: NomadAgentOptions = {}): Promise<NomadAgent> {
    const dir = await mkdtemp(join(tmpdir(), 'nomad-e2e-'));
    const ports = { http: await freePort(), rpc: await freePort(), serf: await freePort() };
    const agent = new NomadAgent(dir, ports, options);
    await mkdir(join(dir, 'data'));
    await writeFile(join(dir, 'agent.hcl'), agent.config());
    await agent.launch();
    return agent;
  }

  get cacheDir(): string {
    return join(this.dir, 'wasm-cache');
  }

  get logPath(): string {
    return join(this.dir, 'agent.log');
  }

  get pid(): number {
    const pid = this.process?.pid;
    if (pid === undefined) throw new Error('agent is not running');
    return pid;
  }

  /** Graceful stop (SIGINT, like Ctrl-C or systemd's KillSignal): plugins are shut down, tasks keep running. */
  async stop(): Promise<void> {
    await this.signalAndWait('SIGINT', 20_000);
  }

  /** Crash: SIGKILL to the agent process only (its plugins and logmon survive, as in a real crash). */
  async kill(): Promise<void> {
    await this.signalAndWait('SIGKILL', 5_000);
  }

  /** Starts again on the same data dir: the client restores its allocations. */
  async restart(): Promise<void> {
    await this.launch();
  }

  /** Stops everything and removes the data dir, including the tmpfs mounts Nomad makes for secrets/. */
  async destroy(): Promise<void> {
    if (this.process && this.process.exitCode === null) await this.stop().catch(() => this.kill());
    killProcessesMatching(this.dir);
    unmountBelow(this.dir);
    await rm(this.dir, { recursive: true, force: true });
  }

  logTail(lines = 40): string {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no agent log)';
    }
  }

  private async launch(): Promise<void> {
    const log = openSync(this.logPath, 'a');
    // AWS_CA_BUNDLE in the environment breaks Nomad's AWS fingerprinter even when it is deny-listed later.
    const { AWS_CA_BUNDLE: _ignored, ...env } = process.env;
    this.process = spawn(nomadBinary(), ['agent', '-config', join(this.dir, 'agent.hcl')], {
      cwd: this.dir,
      stdio: ['ignore', log, log],
      env,
    });
    closeSync(log);
    await this.waitUntilReady();
  }

  private async waitUntilReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const drivers = this.options.drivers ?? ['wasm', 'raw_exec'];
    while (Date.now() < deadline) {
      if (this.process?.exitCode !== null && this.process?.exitCode !== undefined) {
        throw new AgentStartError(`Nomad agent exited with code ${this.process.exitCode}:\n${this.logTail()}`);
      }
      const node = await this.api.firstNode().catch(() => undefined);
      if (node?.Status === 'ready' && drivers.every((d) => node.Drivers[d]?.Healthy)) return;
      await sleep(250);
    }
    throw new AgentStartError(
      `Nomad agent not ready with drivers ${drivers.join(', ')} within ${timeoutMs} ms:\n${this.logTail()}`,
    );
  }

  private async signalAndWait(signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await Promise.race([exited, sleep(timeoutMs)]);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  }

  private config(): string {
    return `
${loopbackServerHcl(join(this.dir, 'data'), this.ports)}
plugin_dir = "${join(REPO_ROOT, 'plugins')}"
client {
  enabled           = true
  servers           = ["127.0.0.1:${this.ports.rpc}"]
  network_interface = "lo"
  # Cloud fingerprinters probe metadata endpoints that do not exist here.
  options = { "fingerprint.denylist" = "env_aws,env_gce,env_azure,env_digitalocean" }
  # The artifact sandbox (landlock) is not needed to fetch from loopback in tests.
  artifact { disable_filesystem_isolation = true }
  # Nomad collects finished allocations, logs included, as soon as the host's disk is 80 % used
  # (70 % of inodes): on a shared test machine that made \`nomad alloc logs\` of a batch job 404.
  gc_disk_usage_threshold  = 99
  gc_inode_usage_threshold = 99
}
plugin "raw_exec" {
  config { enabled = true }
}
${this.options.minimal ? '' : this.tunedConfig()}
${this.options.extraConfig ?? ''}
`;
  }

  private tunedConfig(): string {
    return `
# Newer Nomad (1.11) collects task stats (TaskStats) only when it publishes
# them; 1.6 always does. A 1 s interval makes stats tests quick.
telemetry {
  publish_allocation_metrics = true
  collection_interval        = "1s"
}
plugin "wasm" {
  config {
    cache_dir = "${this.cacheDir}"
${typeof this.options.wasmPluginConfig === 'function' ? this.options.wasmPluginConfig(this.ports) : (this.options.wasmPluginConfig ?? '')}
  }
}`;
  }
}

export function nomadBinary(): string {
  return builtBinary('build-nomad.sh', 'NOMAD_BIN');
}

/**
 * Leftovers of this agent: plugin instances and logmons run with the agent's
 * cwd (our dir); task hosts write their stdout into a FIFO below it, and run
 * in their state dir below it (a task host that began as a spare has no
 * stdout of its own: only its cwd tells).
 */
export function killProcessesMatching(dir: string): void {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    const cwd = readLink(`/proc/${pid}/cwd`);
    const stdout = readLink(`/proc/${pid}/fd/1`);
    if (cwd === dir || cwd?.startsWith(`${dir}/`) || stdout?.startsWith(dir)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
