// The provider-free modules: their own `tofu test` files (the environment
// module's with the provider mocked from the real provider's schema), and
// the client module's rendered configuration loaded by a real Nomad 1.6.3
// client with this repository's wasm plugin: the node must come up with
// driver.wasm healthy, so Nomad and the driver both accepted every block.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nomadBinary, REPO_ROOT } from '../e2e/support/nomad-agent.ts';
import { freePort } from '../oci/support/registry.ts';
import { makeKey } from '../verify/support/key-signer.ts';
import { NomadHttp, StopWaiting } from './support/nomad-http.ts';
import { NomadServer } from './support/nomad-server.ts';
import { mustRun, openTofu, run, workingCopy, writeVars, type IacCli } from './support/opentofu.ts';

// `terraform test` only exists from Terraform 1.6 on, which is BUSL: the
// module test files run with OpenTofu alone (an MPL Terraform, < 1.6, runs
// the acceptance tests in provider-acceptance.test.ts).
const clis: IacCli[] = [openTofu()];

let work: { root: string; remove(): void };
beforeAll(() => {
  work = workingCopy();
});
afterAll(() => work?.remove());

for (const cli of clis) {
  describe(`module tests with ${cli.name} ${cli.version}`, () => {
    for (const module of ['nomad-wasm-client', 'wasm-environment']) {
      it(`${module}: tofu test passes`, async () => {
        const dir = join(work.root, 'modules', module);
        await mustRun(cli, dir, ['init', '-no-color']);
        const result = await run(cli, dir, ['test', '-no-color']);
        console.log(`${module} (${cli.name}): ${result.stdout.trim().split('\n').slice(-1)[0]}`);
        expect(result.stdout + result.stderr).toMatch(/Success! \d+ passed, 0 failed\./);
        expect(result.code).toBe(0);
      }, 180_000);
    }
  });
}

describe('the client module’s rendered HCL on a real Nomad 1.6.3 client', () => {
  let server: NomadServer;
  let client: ChildProcess | undefined;
  let dir: string;

  beforeAll(async () => {
    server = await NomadServer.start();
  }, 120_000);
  afterAll(async () => {
    if (client && client.exitCode === null) {
      const exited = new Promise<void>((resolve) => client?.once('exit', () => resolve()));
      client.kill('SIGINT');
      await Promise.race([exited, sleep(20_000)]);
      if (client.exitCode === null) client.kill('SIGKILL');
    }
    await server?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('loads with driver.wasm healthy: signatures with namespace rules, registries, ceilings, the agent\'s and the plugin\'s vault, consul and nomad blocks', async () => {
    const tofu = openTofu();
    dir = mkdtempSync(join(tmpdir(), 'rendered-client-'));
    const dirs = { install: join(dir, 'opt'), config: join(dir, 'etc'), data: join(dir, 'data') };
    mkdirSync(join(dirs.install, 'plugins'), { recursive: true });
    mkdirSync(dirs.data, { recursive: true });
    // plugin_dir as the bootstrap leaves it: a link to the driver's launcher.
    symlinkSync(join(REPO_ROOT, 'plugins/wasm'), join(dirs.install, 'plugins/wasm'));
    const key = makeKey();
    const keyFile = join(dir, 'cosign.pub');
    writeFileSync(keyFile, key.publicPem);
    const fixture = join(work.root, 'render-client');
    cpSync(new URL('./fixtures/render-client/', import.meta.url).pathname, fixture, { recursive: true });
    // A real CA certificate: the plugin reads the vault and consul ca_cert files when configured.
    const caFile = join(dir, 'ca.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=render-test-ca', '-keyout', join(dir, 'ca.key'), '-out', caFile], { stdio: 'ignore' });
    const driverConsulToken = randomUUID();
    const httpPort = await freePort();
    const vars = writeVars(fixture, 'render', {
      servers: [server.rpcAddress],
      dirs,
      http_port: httpPort,
      key_file: keyFile,
      key_pem: key.publicPem,
      consul_address: `127.0.0.1:${await freePort()}`,
      ca_file: caFile,
      driver_consul_token: driverConsulToken,
    });
    await mustRun(tofu, fixture, ['init', '-no-color']);
    await mustRun(tofu, fixture, ['apply', '-auto-approve', '-no-color', `-var-file=${vars}`]);
    const hcl = (await mustRun(tofu, fixture, ['output', '-raw', 'client_hcl'])).stdout;
    // The plugin's own blocks are there (the node coming up healthy then means the plugin decoded them).
    const pluginBlock = hcl.slice(hcl.indexOf('plugin "wasm" {'));
    expect(pluginBlock).toMatch(new RegExp(`\\n    vault \\{\\s+address = "http://127\\.0\\.0\\.1:1"\\s+ca_cert = "${caFile}"\\s+namespace = "team-a"`));
    expect(pluginBlock).toMatch(new RegExp(`\\n    consul \\{\\s+address = "https://127\\.0\\.0\\.1:\\d+"\\s+token = "${driverConsulToken}"\\s+ca_cert = "${caFile}"`));
    expect(pluginBlock).toMatch(new RegExp(`\\n    nomad \\{\\s+address = "http://127\\.0\\.0\\.1:${httpPort}"\\s+token = "0{8}-`));
    const configFile = join(dir, 'client.hcl');
    writeFileSync(configFile, hcl);

    const log = openSync(join(dir, 'client.log'), 'a');
    const { AWS_CA_BUNDLE: _ignored, ...env } = process.env;
    client = spawn(nomadBinary(), ['agent', '-config', configFile], { cwd: dir, stdio: ['ignore', log, log], env });
    closeSync(log);
    const nomad = new NomadHttp(server.address);
    const logTail = (): string => readFileSync(join(dir, 'client.log'), 'utf8').split('\n').slice(-40).join('\n');
    const node = await nomad
      .until(
        'the rendered client to be ready with driver.wasm healthy',
        async () => {
          if (client?.exitCode !== null) throw new StopWaiting(`client exited ${client?.exitCode}:\n${logTail()}`);
          const nodes = await nomad.must<{ ID: string; Name: string; Status: string; Drivers: Record<string, { Healthy: boolean }> }[]>('/v1/nodes');
          const n = nodes.find((x) => x.Name === 'rendered-client');
          return n?.Status === 'ready' && n.Drivers.wasm?.Healthy ? n : undefined;
        },
        90_000,
      )
      .catch((err: unknown) => {
        throw new Error(`${String(err)}\n--- client log ---\n${logTail()}`);
      });
    const full = await nomad.must<{ NodeClass: string; Meta: Record<string, string>; Drivers: Record<string, { Detected: boolean; Healthy: boolean }> }>(`/v1/node/${node.ID}`);
    expect(full.NodeClass).toBe('mixed');
    expect(full.Meta.team).toBe('platform');
    expect(full.Drivers.wasm?.Healthy).toBe(true);
    expect(full.Drivers.raw_exec?.Healthy).toBe(true);
    expect(full.Drivers.docker?.Detected ?? false).toBe(false);
    // The plugin decoded the signatures block (SetConfig would have failed the agent otherwise) and logged it.
    expect(readFileSync(join(dir, 'client.log'), 'utf8')).not.toMatch(/PLUGIN_CONFIG_INVALID/);
  }, 240_000);
});
