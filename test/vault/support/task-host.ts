// Runs the real task host (dist/task-host/main.js) with a launch spec that
// carries Vault secrets, as the plugin would: spec on stdin, progress on
// fd 3, events through its control socket (the plugin's HostChannel).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Grants } from '../../../src/ipc/grants.ts';
import type { ProgressMessage } from '../../../src/ipc/launch-spec.ts';
import { controlSocketPath, type HostMessage } from '../../../src/ipc/control-protocol.ts';
import type { VaultTaskSpec } from '../../../src/vault/secret-spec.ts';
import type { KeyValueBackend } from '../../../src/spin/granted-stores.ts';
import { launchSpecFor } from '../../runtime/support/task-host.ts';
import { HOST_NODE_FLAGS } from '../../../src/ipc/host-node-flags.ts';

const TASK_HOST = new URL('../../../dist/task-host/main.js', import.meta.url).pathname;
const { HostChannel } = (await import(
  new URL('../../../dist/task/host-channel.js', import.meta.url).href
)) as typeof import('../../../src/task/host-channel.ts');

export interface VaultHostRun {
  readonly component: string;
  readonly dir: string;
  /** Command arguments after argv[0]. */
  readonly args?: string[];
  readonly grants: Partial<Grants>;
  readonly vault?: VaultTaskSpec;
  readonly http?: { host: string; port: number };
  readonly keyValue?: KeyValueBackend;
}

export type HostEvent = Extract<HostMessage, { type: 'event' }>;

export class RunningHost {
  readonly events: HostEvent[] = [];
  readonly progress: ProgressMessage[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The first 'ready' or 'failed' progress message. */
  readonly outcome: Promise<ProgressMessage>;

  readonly child: ChildProcess;

  constructor(child: ChildProcess) {
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    this.outcome = new Promise((resolve, reject) => {
      createInterface({ input: child.stdio[3] as Readable }).on('line', (line) => {
        const message = JSON.parse(line) as ProgressMessage;
        this.progress.push(message);
        if (message.type === 'ready' || message.type === 'failed') resolve(message);
      });
      void this.exited.then(({ code, signal }) =>
        reject(new Error(`task host exited (${signal ?? code}) before ready:\n${this.stderr}`)),
      );
    });
    void this.outcome.then(
      (message) => {
        if (message.type === 'ready') this.listen();
      },
      () => undefined,
    );
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  private listen(): void {
    const channel = HostChannel.open({
      path: controlSocketPath(this.pid),
      isAlive: async () => this.child.exitCode === null && this.child.signalCode === null,
      onMessage: (message) => {
        if (message.type === 'event') this.events.push(message);
      },
    });
    void this.exited.then(() => channel.close());
  }

  async ready(): Promise<Extract<ProgressMessage, { type: 'ready' }>> {
    const outcome = await this.outcome;
    if (outcome.type !== 'ready')
      throw new Error(`task host failed: ${outcome.type === 'failed' ? `${outcome.code}: ${outcome.message}` : ''}`);
    return outcome;
  }

  /** Polls the events until one matches. */
  async waitForEvent(match: (event: HostEvent) => boolean, timeoutMs: number, after = 0): Promise<HostEvent> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.events.slice(after).find(match);
      if (found) return found;
      await sleep(100);
    }
    throw new Error(
      `no matching event within ${timeoutMs} ms; events so far:\n${this.events.map((e) => e.message).join('\n')}\nstderr:\n${this.stderr}`,
    );
  }

  eventsWith(kind: string): HostEvent[] {
    return this.events.filter((event) => event.annotations?.['vault_event'] === kind);
  }
}

export function launchHost(run: VaultHostRun): RunningHost {
  const spec = launchSpecFor(run);
  // As the plugin starts it: its own session, nothing of our environment.
  const child = spawn(process.execPath, [...HOST_NODE_FLAGS, TASK_HOST], {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    env: {},
    detached: true,
  });
  child.stdin?.end(JSON.stringify(spec));
  return new RunningHost(child);
}

/** GET on a task host's HTTP port: status and body. */
export async function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}
