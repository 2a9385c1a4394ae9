// A real Consul agent (v1.16.3, the last MPL-2.0 release) for the service
// tests, built from Consul's Go module by scripts/build-consul.sh: one
// server that is its own client, on free loopback ports, state in a temp
// dir (not -dev: a restart keeps the catalog, as a real one does).
// Optionally with ACLs on (default deny) and a management token.
import { builtBinary } from './built-binary.ts';
import { freePorts } from './ports.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ConsulAgentOptions {
  /** ACLs on, default deny; `managementToken` may do anything. */
  readonly acl?: boolean;
  /** Also serve the HTTP API over TLS (PEM files), on `ports.https`. */
  readonly tls?: { readonly caFile: string; readonly certFile: string; readonly keyFile: string };
}

export interface CheckSpec {
  readonly CheckID?: string;
  readonly TTL?: string;
  readonly HTTP?: string;
  readonly Interval?: string;
  readonly Status?: 'passing' | 'critical' | 'warning';
}

// Plain fields, no parameter properties: benchmarks run this file with
// Node's type stripping, which does not support them.
export class ConsulAgent {
  private process: ChildProcess | undefined;
  readonly managementToken: string | undefined;
  readonly dir: string;
  readonly ports: { http: number; serfLan: number; serfWan: number; server: number; https: number };
  private readonly tls: ConsulAgentOptions['tls'];

  private constructor(
    dir: string,
    ports: { http: number; serfLan: number; serfWan: number; server: number; https: number },
    options: ConsulAgentOptions,
  ) {
    this.dir = dir;
    this.ports = ports;
    this.managementToken = options.acl ? randomUUID() : undefined;
    this.tls = options.tls;
  }

  static async start(options: ConsulAgentOptions = {}): Promise<ConsulAgent> {
    const dir = await mkdtemp(join(tmpdir(), 'consul-test-'));
    const [http = 0, serfLan = 0, serfWan = 0, server = 0, https = -1] = await freePorts(options.tls ? 5 : 4);
    const ports = { http, serfLan, serfWan, server, https };
    const agent = new ConsulAgent(dir, ports, options);
    await mkdir(join(dir, 'data'));
    await writeFile(join(dir, 'consul.hcl'), agent.config());
    await agent.launch();
    return agent;
  }

  /** `127.0.0.1:<port>`, as Nomad's consul block and the plugin config take it. */
  get address(): string {
    return `127.0.0.1:${this.ports.http}`;
  }

  get url(): string {
    return `http://${this.address}`;
  }

  /** The TLS listener (with the `tls` option). */
  get httpsUrl(): string {
    return `https://127.0.0.1:${this.ports.https}`;
  }

  get logPath(): string {
    return join(this.dir, 'consul.log');
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no consul log)';
    }
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT');
    await Promise.race([exited, sleep(15_000)]);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  }

  /** Same data dir: the catalog, ACLs and the agent's services survive, as in a real restart. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** A Consul HTTP API call, with the management token when ACLs are on. */
  async api<T>(method: string, path: string, body?: unknown, token = this.managementToken): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        ...(token ? { 'x-consul-token': token } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`consul ${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Registers a service instance on this agent (what Nomad does for a task). */
  async register(service: {
    ID: string;
    Name: string;
    Address: string;
    Port: number;
    Check?: CheckSpec;
  }): Promise<void> {
    await this.api('PUT', '/v1/agent/service/register', service);
  }

  async deregister(id: string): Promise<void> {
    await this.api('PUT', `/v1/agent/service/deregister/${encodeURIComponent(id)}`);
  }

  /** Sets a TTL check's status: a real health transition, at once. */
  async setTtl(checkId: string, status: 'pass' | 'fail' | 'warn'): Promise<void> {
    await this.api('PUT', `/v1/agent/check/${status}/${encodeURIComponent(checkId)}`);
  }

  /** A token with exactly these policy rules (HCL), for ACL tests. */
  async tokenWithRules(name: string, rules: string): Promise<string> {
    await this.api('PUT', '/v1/acl/policy', { Name: name, Rules: rules });
    const token = await this.api<{ SecretID: string }>('PUT', '/v1/acl/token', {
      Description: name,
      Policies: [{ Name: name }],
    });
    return token.SecretID;
  }

  private async launch(): Promise<void> {
    const log = openSync(this.logPath, 'a');
    this.process = spawn(consulBinary(), ['agent', '-config-file', join(this.dir, 'consul.hcl')], {
      cwd: this.dir,
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    await this.waitUntilReady();
  }

  private async waitUntilReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.process?.exitCode !== null && this.process?.exitCode !== undefined) {
        throw new Error(`Consul exited with code ${this.process.exitCode}:\n${this.logTail()}`);
      }
      // A leader and a synced agent: the catalog answers and registrations stick.
      const leader = await this.api<string>('GET', '/v1/status/leader').catch(() => '');
      if (leader) {
        const ok = await this.api('GET', '/v1/catalog/nodes').then(
          () => true,
          () => false,
        );
        if (ok) return;
      }
      await sleep(200);
    }
    throw new Error(`Consul not ready within ${timeoutMs} ms:\n${this.logTail()}`);
  }

  private config(): string {
    return `
datacenter  = "dc1"
node_name   = "consul-test"
data_dir    = "${join(this.dir, 'data')}"
server      = true
bootstrap_expect = 1
bind_addr   = "127.0.0.1"
client_addr = "127.0.0.1"
log_level   = "DEBUG"
disable_update_check = true
performance { raft_multiplier = 1 }
ports {
  http     = ${this.ports.http}
  https    = ${this.ports.https}
  serf_lan = ${this.ports.serfLan}
  serf_wan = ${this.ports.serfWan}
  server   = ${this.ports.server}
  dns      = -1
  grpc     = -1
  grpc_tls = -1
}
${
  this.tls
    ? `tls {
  defaults {
    ca_file   = "${this.tls.caFile}"
    cert_file = "${this.tls.certFile}"
    key_file  = "${this.tls.keyFile}"
    verify_incoming = false
  }
}`
    : ''
}
${
  this.managementToken
    ? `acl {
  enabled        = true
  default_policy = "deny"
  enable_token_persistence = true
  tokens {
    initial_management = "${this.managementToken}"
    agent              = "${this.managementToken}"
  }
}`
    : ''
}
`;
  }
}

export function consulBinary(): string {
  return builtBinary('build-consul.sh', 'CONSUL_BIN');
}
