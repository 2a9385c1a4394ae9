// `tofu apply` for real: terraform/examples/two-environments brings up a
// second Nomad client node from the client module's rendered bootstrap
// (a real Nomad 1.6.3 client joining the test's server, installed from
// checksum-pinned downloads), creates dev and prod from the environment
// module, deploys a Wasm service (signed, from a real OCI registry) and a
// raw_exec job into each, rolls dev to a new digest, promotes it to prod
// with one variable, and destroys everything: no job, namespace or client
// process is left. The server has no client of its own, so every task here
// runs on the node the bootstrap made.
import { unmountBelow } from '../support/mounts.ts';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDirectory, type StaticServer } from '../e2e/support/static-server.ts';
import { freePort } from '../support/ports.ts';
import { allocationHttpPort, NomadHttp } from './support/nomad-http.ts';
import { NomadServer } from './support/nomad-server.ts';
import { mustRun, mplTerraformOnPath, openTofu, run, workingCopy, writeVars } from './support/opentofu.ts';
import { releaseArtifacts, type ReleaseArtifacts } from './support/release-artifacts.ts';
import { startComponentRegistry, type ComponentRegistry, type PushedComponent } from './support/signed-components.ts';

const tofu = openTofu();
// Runs only an MPL-2.0 Terraform (< 1.6); says SKIPPED loudly otherwise.
mplTerraformOnPath();

let server: NomadServer;
let registry: ComponentRegistry;
let releases: ReleaseArtifacts;
let downloads: StaticServer;
let nodeDir: string;
let work: { root: string; remove(): void };
let v1: PushedComponent;
let v2: PushedComponent;
let unsigned: PushedComponent;
let nomad: NomadHttp;
let varFile: (overrides?: Record<string, unknown>) => string;
const started = Date.now();

beforeAll(async () => {
  [server, registry, releases] = await Promise.all([NomadServer.start(), startComponentRegistry(), releaseArtifacts()]);
  nomad = new NomadHttp(server.address);
  v1 = await registry.push('apps/hello', 'v1', 'hello-http', { variant: 'release-1' });
  v2 = await registry.push('apps/hello', 'v2', 'hello-http', { variant: 'release-2' });
  unsigned = await registry.push('apps/hello', 'unsigned', 'hello-http', { variant: 'not-signed', signed: false });
  downloads = await serveDirectory(releases.dir);
  nodeDir = await mkdtemp(join(tmpdir(), 'tofu-node-'));
  work = workingCopy();
  const url = (file: string): string => `${downloads.baseUrl}/${file.slice(releases.dir.length + 1)}`;
  const node = {
    nomad: { version: releases.nomad.version, url: url(releases.nomad.file), sha256: releases.nomad.sha256 },
    nodejs: { version: releases.nodejs.version, url: url(releases.nodejs.file), sha256: releases.nodejs.sha256 },
    driver: { version: releases.driver.version, url: url(releases.driver.file), sha256: releases.driver.sha256 },
    install_dir: join(nodeDir, 'opt'),
    config_dir: join(nodeDir, 'etc'),
    data_dir: join(nodeDir, 'data'),
    http_port: await freePort(),
    node_name: 'tofu-mixed-1',
    node_class: 'mixed',
  };
  const base = {
    nomad_address: server.address,
    nomad_servers: [server.rpcAddress],
    nomad_wasm_cli: tofu.env.NOMAD_WASM_CLI,
    component_repository: `oci://${registry.registry.host}/apps/hello`,
    dev_digest: v1.manifestDigest,
    prod_digest: v1.manifestDigest,
    signing_public_key: registry.key.publicPem,
    node,
  };
  varFile = (overrides = {}) => `-var-file=${writeVars(work.root, 'example', { ...base, ...overrides })}`;
}, 600_000);

afterAll(async () => {
  if (work)
    await run(tofu, join(work.root, 'examples/two-environments'), ['destroy', '-auto-approve', '-no-color', varFile()]);
  await server?.destroy();
  await registry?.registry.stop();
  await downloads?.close();
  if (nodeDir) {
    unmountBelow(nodeDir);
    await rm(nodeDir, { recursive: true, force: true });
  }
  work?.remove();
}, 300_000);

/** Processes whose executable or working directory is under the node's install dir. */
function nodeProcesses(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    for (const link of ['exe', 'cwd']) {
      try {
        if (readlinkSync(`/proc/${pid}/${link}`).startsWith(nodeDir)) found.push(`${pid} (${link})`);
      } catch {
        // gone or not ours to read
      }
    }
  }
  return found;
}

interface NodeInfo {
  ID: string;
  Name: string;
  Status: string;
  NodeClass: string;
  Drivers: Record<string, { Detected: boolean; Healthy: boolean; HealthDescription: string }>;
}

async function runningAllocation(
  job: string,
  namespace: string,
  version: number,
): Promise<{ id: string; node: string }> {
  return nomad.until(`${job} v${version} running`, async () => {
    const alloc = (await nomad.allocations(job, namespace)).find(
      (a) => a.ClientStatus === 'running' && a.JobVersion === version,
    );
    return alloc ? { id: alloc.ID, node: alloc.NodeName } : undefined;
  });
}

describe.sequential(
  `terraform/examples/two-environments with OpenTofu ${tofu.version}: apply, roll, promote, destroy`,
  { timeout: 600_000 },
  () => {
    const example = (): string => join(work.root, 'examples/two-environments');

    it('apply brings up a mixed client node from the bootstrap and deploys dev and prod', async () => {
      await mustRun(tofu, example(), ['init', '-no-color']);
      const applyStart = Date.now();
      const apply = await mustRun(tofu, example(), ['apply', '-auto-approve', '-no-color', varFile()]);
      console.log(`first apply (node bootstrap + 2 environments): ${((Date.now() - applyStart) / 1000).toFixed(1)} s`);
      // local-exec hides the output of a command that carries credentials; the bootstrap keeps a log.
      expect(apply.stdout).toContain('terraform_data.node[0]: Creation complete');
      const bootstrapLog = readFileSync(join(nodeDir, 'opt/bootstrap.log'), 'utf8');
      console.log(`bootstrap.log:\n${bootstrapLog}`);
      expect(bootstrapLog).toMatch(/nomad: fetching http:\/\/127\.0\.0\.1:\d+\/nomad_1\.6\.3_linux_amd64\.zip/);
      expect(bootstrapLog).toMatch(/node [0-9a-f-]+ \(tofu-mixed-1\) ready; healthy drivers: .*wasm/);

      // The node: a real client process that joined this server, with its drivers.
      const nodes = await nomad.must<{ ID: string; Name: string }[]>('/v1/nodes');
      expect(nodes.map((n) => n.Name)).toEqual(['tofu-mixed-1']);
      const node = await nomad.must<NodeInfo>(`/v1/node/${nodes[0]?.ID}`);
      expect(node.Status).toBe('ready');
      expect(node.NodeClass).toBe('mixed');
      expect(node.Drivers.wasm?.Healthy).toBe(true);
      expect(node.Drivers.raw_exec?.Healthy).toBe(true);
      // No Docker engine on this machine: docker is configured but undetected.
      expect(node.Drivers.docker?.Detected ?? false).toBe(false);
      console.log(
        `node drivers: ${Object.entries(node.Drivers)
          .map(([name, d]) => `${name}=${d.Detected ? (d.Healthy ? 'healthy' : 'unhealthy') : 'undetected'}`)
          .join(' ')}`,
      );
      const pid = Number(readFileSync(join(nodeDir, 'opt/nomad.pid'), 'utf8'));
      expect(existsSync(`/proc/${pid}`)).toBe(true);
      // The client config on disk is the module's rendering, with the environments' namespace rules.
      const clientHcl = readFileSync(join(nodeDir, 'etc/client.hcl'), 'utf8');
      expect(clientHcl).toMatch(/namespace "prod" \{\s+mode\s+= "enforce"/);
      expect(clientHcl).toMatch(/namespace "dev" \{\s+mode\s+= "warn"/);

      for (const env of ['dev', 'prod']) {
        const ns = await nomad.get<{ Name: string; Meta: Record<string, string> }>(`/v1/namespace/${env}`);
        expect(ns.status).toBe(200);
        const wasm = await runningAllocation(`${env}-hello`, env, 0);
        expect(wasm.node).toBe('tofu-mixed-1');
        const { body: job } = await nomad.job(`${env}-hello`, env);
        expect(job.TaskGroups[0]?.Tasks[0]?.Config.component).toBe(
          `oci://${registry.registry.host}/apps/hello@${v1.manifestDigest}`,
        );
        const port = await allocationHttpPort(nomad, wasm.id, env);
        expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
        const sidecar = await runningAllocation(`${env}-sidecar`, env, 0);
        expect(sidecar.node).toBe('tofu-mixed-1');
        const { body: sidecarJob } = await nomad.job(`${env}-sidecar`, env);
        expect(sidecarJob.TaskGroups[0]?.Tasks[0]?.Driver).toBe('raw_exec');
        const services = await nomad.must<{ ServiceName: string }[]>(`/v1/service/${env}-hello?namespace=${env}`);
        expect(services).toHaveLength(1);
      }
      const outputs = JSON.parse((await mustRun(tofu, example(), ['output', '-json'])).stdout) as {
        components: { value: Record<string, { verified: boolean; signer: string }> };
      };
      expect(outputs.components.value.prod?.verified).toBe(true);
      expect(outputs.components.value.prod?.signer).toContain(registry.key.fingerprintHex);
    });

    it('changing dev_digest rolls dev only', async () => {
      const plan = await run(tofu, example(), ['plan', '-no-color', varFile({ dev_digest: v2.manifestDigest })]);
      expect(plan.stdout).toContain(
        'module.environment["dev"].nomadwasm_service.this["hello"] will be updated in-place',
      );
      expect(plan.stdout).not.toContain('module.environment["prod"].nomadwasm_service.this["hello"] will be updated');
      expect(plan.stdout).toContain('Plan: 0 to add, 1 to change, 0 to destroy.');
      await mustRun(tofu, example(), [
        'apply',
        '-auto-approve',
        '-no-color',
        varFile({ dev_digest: v2.manifestDigest }),
      ]);
      await runningAllocation('dev-hello', 'dev', 1);
      expect((await nomad.job('dev-hello', 'dev')).body.TaskGroups[0]?.Tasks[0]?.Config.component).toContain(
        v2.manifestDigest,
      );
      expect((await nomad.job('prod-hello', 'prod')).body.Version).toBe(0);
    });

    it('promoting dev’s digest to prod is one variable', async () => {
      const promoted = { dev_digest: v2.manifestDigest, prod_digest: v2.manifestDigest };
      await mustRun(tofu, example(), ['apply', '-auto-approve', '-no-color', varFile(promoted)]);
      await runningAllocation('prod-hello', 'prod', 1);
      expect((await nomad.job('prod-hello', 'prod')).body.TaskGroups[0]?.Tasks[0]?.Config.component).toContain(
        v2.manifestDigest,
      );
    });

    it('an unsigned digest for prod (enforce) fails the plan; dev (warn) only warns', async () => {
      const prod = await run(tofu, example(), [
        'plan',
        '-no-color',
        varFile({ dev_digest: v2.manifestDigest, prod_digest: unsigned.manifestDigest }),
      ]);
      expect(prod.code).toBe(1);
      expect(prod.stderr).toMatch(/data\.nomadwasm_component\.release\["prod"\]/);
      expect(prod.stderr).toContain('[SIGNATURE_MISSING]');
      const dev = await run(tofu, example(), [
        'plan',
        '-no-color',
        varFile({ dev_digest: unsigned.manifestDigest, prod_digest: v2.manifestDigest }),
      ]);
      expect(dev.code).toBe(0);
      expect(dev.stdout + dev.stderr).toContain('Warning: The component does not verify under the signature policy');
    });

    it('destroy leaves no job, namespace or client process', async () => {
      await mustRun(tofu, example(), [
        'destroy',
        '-auto-approve',
        '-no-color',
        varFile({ dev_digest: v2.manifestDigest, prod_digest: v2.manifestDigest }),
      ]);
      for (const env of ['dev', 'prod']) {
        expect((await nomad.get(`/v1/namespace/${env}`)).status).toBe(404);
        expect((await nomad.job(`${env}-hello`, env)).status).toBe(404);
        expect((await nomad.job(`${env}-sidecar`, env)).status).toBe(404);
      }
      const jobs = await nomad.must<unknown[]>('/v1/jobs?namespace=*');
      expect(jobs).toEqual([]);
      expect(existsSync(join(nodeDir, 'opt/nomad.pid'))).toBe(false);
      await nomad
        .until('no process of the node left', async () => (nodeProcesses().length === 0 ? true : undefined), 30_000)
        .catch(() => undefined);
      expect(nodeProcesses()).toEqual([]);
      // The stop script collected the allocations first: no secrets/ tmpfs is left mounted.
      const leftMounts = readFileSync('/proc/mounts', 'utf8')
        .split('\n')
        .filter((line) => line.includes(nodeDir));
      if (leftMounts.length > 0) {
        const clientLog = readFileSync(join(nodeDir, 'opt/nomad.log'), 'utf8').split('\n');
        console.log(
          `left mounted:\n${leftMounts.join('\n')}\nclient log (gc):\n${clientLog
            .filter((l) => /gc|garbage|destroy|unmount|shutdown/i.test(l))
            .slice(-40)
            .join('\n')}`,
        );
      }
      expect(leftMounts).toEqual([]);
      console.log(
        `apply/destroy test wall time (registry, server, releases, init, 3 applies, 2 plans, destroy): ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    });
  },
);
