// README "From a clone to two environments", walked as a reader walks it:
// the blocks marked `<!-- readme-walk: … -->` are read from README.md and
// run in order in one bash session (exports and `cd` carry over), in a
// reader's clone (support/reader-clone.ts) with a home of its own. Against
// real parts: the Nomad 1.6.3 agent ./scripts/dev-run.sh starts (the same
// NomadAgent class, started here because dev-run.sh also runs the example
// jobs and waits for Ctrl-C), Debian's docker-registry started by the
// README's own lines, OpenTofu built from its module, cosign built from
// its module. Only two blocks are not run verbatim: `agent` (the dev-run.sh
// line: checked, and the agent started here) and `settings` (its exports
// are set to this run's addresses and ports, as a reader sets them to
// theirs). A README edit that breaks the walk breaks this test.
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NomadAgent, nomadBinary, REPO_ROOT } from '../e2e/support/nomad-agent.ts';
import { freePort } from '../support/ports.ts';
import { NomadHttp } from './support/nomad-http.ts';
import { openTofu, prepareProviderMirror } from './support/opentofu.ts';
import { readerClone, type ReaderClone } from './support/reader-clone.ts';
import { exportedSettings, readmeWalk, walkSteps, type WalkBlock } from './support/readme-walk.ts';
import { ShellSession } from './support/shell-session.ts';

// Every marked block, and its kind: a walk the test does not know fails it.
const steps = walkSteps(readmeWalk(), {
  agent: 'sh',
  settings: 'sh',
  tools: 'sh',
  registry: 'sh',
  component: 'sh',
  cosign: 'sh',
  apply: 'sh',
  check: 'sh',
  destroy: 'sh',
  '../platform/main.tf': 'hcl',
  'copy-paste': 'sh',
  stop: 'sh',
});
const step = (name: string): WalkBlock => {
  const block = steps.get(name);
  if (!block) throw new Error(`no README step ${name}`);
  return block;
};

const tofu = openTofu();
let agent: NomadAgent;
let nomad: NomadHttp;
let clone: ReaderClone;
let shell: ShellSession;
let registryPort: number;
const timings: [string, number][] = [];

/** Runs a README block in the session and records how long it took. */
async function walk(name: string, timeoutMs = 300_000): Promise<string> {
  const { output, seconds } = await shell.run(name, step(name).body, timeoutMs);
  timings.push([name, seconds]);
  return output;
}

/** What a reader's environment does not carry: this suite's own settings. */
function readerEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(TF_|NOMAD_|VAULT_|CONSUL_|AWS_CA_BUNDLE$|VITEST|npm_)/.test(name)) continue;
    env[name] = value;
  }
  // The reader's Go caches are where their builds went (their HOME is theirs).
  for (const name of ['GOPATH', 'GOCACHE', 'GOMODCACHE'])
    env[name] = execFileSync('go', ['env', name], { encoding: 'utf8' }).trim();
  return { ...env, HOME: home, GOTOOLCHAIN: 'local' };
}

beforeAll(async () => {
  // What dev-run.sh and the tools step build, built (or found cached) first.
  nomadBinary();
  prepareProviderMirror();
  execFileSync('bash', [join(REPO_ROOT, 'scripts/ensure-registry.sh')], { stdio: 'inherit' });
  execFileSync('bash', [join(REPO_ROOT, 'scripts/ensure-cosign.sh')], { stdio: 'inherit' });
  clone = readerClone();
  agent = await NomadAgent.start();
  nomad = new NomadHttp(`http://127.0.0.1:${agent.ports.http}`);
  registryPort = await freePort();
  mkdirSync(join(clone.home, '.walk'));
  shell = new ShellSession(join(clone.home, '.walk'), clone.root, readerEnv(clone.home));
}, 1_200_000);

afterAll(async () => {
  shell?.close();
  // Whatever failed above: no registry left running, no jobs, no agent.
  try {
    const pid = Number(readFileSync(join(clone.home, 'wasm-registry/pid'), 'utf8'));
    if (pid > 0) process.kill(pid, 'SIGTERM');
  } catch {
    // never started, or already stopped by the README's last step
  }
  await agent?.destroy();
  clone?.remove();
  console.log(`README walk, seconds per step: ${timings.map(([n, s]) => `${n} ${s.toFixed(1)}`).join(', ')}`);
  console.log(`README walk, total: ${timings.reduce((sum, [, s]) => sum + s, 0).toFixed(1)} s`);
}, 300_000);

describe.sequential(
  `README "From a clone to two environments", with OpenTofu ${tofu.version}`,
  { timeout: 600_000 },
  () => {
    it('agent: the README starts the cluster with ./scripts/dev-run.sh (here: the agent it starts)', async () => {
      expect(step('agent').body.replace(/#.*$/gm, '').trim()).toBe('./scripts/dev-run.sh');
      // dev-run.ts starts exactly this: NomadAgent.start() with no options.
      expect(readFileSync(join(REPO_ROOT, 'scripts/dev-run.ts'), 'utf8')).toContain('await NomadAgent.start();');
      const node = await agent.api.firstNode();
      expect(node?.Drivers.wasm?.Healthy).toBe(true);
      expect(node?.Drivers.raw_exec?.Healthy).toBe(true);
    });

    it('settings: the reader sets NOMAD_ADDR, REGISTRY and REPO', async () => {
      const body = step('settings').body;
      expect(exportedSettings(body)).toEqual(['NOMAD_ADDR', 'REGISTRY', 'REPO']);
      // As the reader does: the same lines with this run's values.
      const values: Record<string, string> = {
        NOMAD_ADDR: nomad.address,
        REGISTRY: `127.0.0.1:${registryPort}`,
        REPO: clone.root,
      };
      const ours = body.replace(/^export ([A-Z_]+)=\S+/gm, (_line, name: string) => `export ${name}=${values[name]}`);
      const { seconds } = await shell.run('settings', ours, 30_000);
      timings.push(['settings', seconds]);
      expect(await shell.variable('NOMAD_ADDR')).toBe(nomad.address);
    });

    it('tools: nomad, tofu and nomad-wasm on PATH, the provider in its mirror, offline.tfrc', async () => {
      await walk('tools', 1_200_000);
      const probe = await shell.run(
        '(probe tools)',
        'command -v nomad tofu nomad-wasm; tofu version; echo "TF_CLI_CONFIG_FILE=$TF_CLI_CONFIG_FILE"',
        60_000,
      );
      expect(probe.output).toContain(`${clone.root}/.cache/bin/nomad\n`);
      expect(probe.output).toContain(`${clone.root}/.cache/bin/tofu\n`);
      expect(probe.output).toContain(`${clone.root}/bin/nomad-wasm\n`);
      expect(probe.output).toContain(`OpenTofu v${tofu.version}`);
      expect(probe.output).toContain(`TF_CLI_CONFIG_FILE=${clone.root}/offline.tfrc`);
      expect(readFileSync(join(clone.root, 'offline.tfrc'), 'utf8')).toContain(
        `path    = "${clone.root}/.cache/terraform/mirror"`,
      );
    });

    it('registry: Debian’s docker-registry, started by the README’s lines, answers on $REGISTRY', async () => {
      await walk('registry', 120_000);
      const response = await fetch(`http://127.0.0.1:${registryPort}/v2/`);
      expect(response.status).toBe(200);
      expect(readFileSync(join(clone.home, 'wasm-registry/config.yml'), 'utf8')).toContain(
        `rootdirectory: ${clone.home}/wasm-registry/data`,
      );
    });

    it('component: a P-256 key made with openssl; push --sign-key prints the pinned reference; verify accepts it', async () => {
      const output = await walk('component', 120_000);
      const digestRef = await shell.variable('DIGEST_REF');
      expect(digestRef).toMatch(new RegExp(`^oci://127\\.0\\.0\\.1:${registryPort}/apps/hello@sha256:[0-9a-f]{64}$`));
      const publicPem = readFileSync(join(clone.home, 'wasm-keys/signing.pub'), 'utf8');
      const fingerprint = createHash('sha256')
        .update(createPublicKey(publicPem).export({ type: 'spki', format: 'der' }))
        .digest('hex');
      // verify names the manifest digest first: the one the reader pins.
      expect(output).toContain(`verified ${digestRef}\n`);
      expect(output).toContain(`signed by key sha256:${fingerprint}`);
    });

    it('cosign: a cosign key pair and `cosign sign --tlog-upload=false` verify with nomad-wasm', async () => {
      const output = await walk('cosign', 180_000);
      const cosigned = await shell.variable('COSIGNED');
      expect(cosigned).toMatch(/\/apps\/hello-cosigned@sha256:[0-9a-f]{64}$/);
      expect(output).toContain(`verified ${cosigned}\n`);
      expect(output).toContain('cosign .sig tag');
    });

    it('apply: tofu init and apply in the example directory deploy dev and prod (Wasm service + raw_exec sidecar)', async () => {
      const output = await walk('apply', 600_000);
      expect(output).toContain('OpenTofu has been successfully initialized!');
      expect(output).toMatch(/Apply complete! Resources: \d+ added, 0 changed, 0 destroyed\./);
      const digestRef = await shell.variable('DIGEST_REF');
      for (const env of ['dev', 'prod']) {
        const { body: job } = await nomad.job(`${env}-hello`, env);
        expect(job.TaskGroups[0]?.Tasks[0]?.Config.component).toBe(digestRef);
        for (const name of [`${env}-hello`, `${env}-sidecar`]) {
          await nomad.until(`${name} running`, async () =>
            (await nomad.allocations(name, env)).some((a) => a.ClientStatus === 'running') ? true : undefined,
          );
        }
        expect((await nomad.job(`${env}-sidecar`, env)).body.TaskGroups[0]?.Tasks[0]?.Driver).toBe('raw_exec');
      }
    });

    it('check: outputs say prod’s component is verified; the nomad CLI shows the jobs; curl gets the service’s answer', async () => {
      const output = await walk('check', 120_000);
      expect(output).toMatch(/"verified" = true/);
      expect(output).toMatch(/prod-hello\s+service\s+\d+\s+running/);
      expect(output).toMatch(/prod-sidecar\s+service\s+\d+\s+running/);
      expect(output.trimEnd().endsWith('hello from wasm')).toBe(true);
    });

    it('a layer digest instead of the manifest digest fails the plan with OCI_NOT_A_MANIFEST', async () => {
      // Not a README block: the mistake the README warns about (the component's own sha256).
      const { output } = await shell.run(
        '(layer digest)',
        'TF_VAR_dev_digest=sha256:$(sha256sum "$REPO/.cache/components/hello-http.wasm" | cut -d" " -f1) tofu plan -no-color || echo "plan exited $?"',
        300_000,
      );
      expect(output).toContain('plan exited 1');
      expect(output).toMatch(/data\.nomadwasm_component\.release\["dev"\]/);
      expect(output).toContain('[OCI_NOT_A_MANIFEST]');
      expect(output).not.toContain('HTTP 500');
    });

    it('an update to a node_class no client has: apply fails after deployment_timeout saying why', async () => {
      // Not a README block. The old allocations' client was already checked
      // in the same evaluation, so Nomad may say "computed class ineligible":
      // the error adds what the group asks for.
      const { output } = await shell.run(
        '(update to a node_class nobody has)',
        'TF_VAR_node_class=gpu TF_VAR_deployment_timeout=20s tofu apply -auto-approve -no-color || echo "apply exited $?"',
        600_000,
      );
      const flat = output.replace(/\s+/g, ' ');
      expect(output).toContain('apply exited 1');
      expect(flat).toMatch(
        /job "prod-hello" version 1 not healthy within 20s \(deployment \w+ is running: Deployment is running; 0 of 1 allocations placed, 0 healthy\)/,
      );
      expect(flat).toMatch(/task group "\w+": 1 allocation\(s\) cannot be placed \(evaluation \w+\):/);
      expect(flat).toMatch(
        /\* Constraint "(computed class ineligible|\$\{node\.class\} = gpu)": 1 nodes excluded by filter \(.*\$\{node\.class\} = gpu/,
      );
      expect(output).toContain("Warning: Nomad cannot place the job's allocations yet");
      console.log(
        output
          .split('\n')
          .filter((l) => /Error:|Warning:|not healthy|running:|cannot|Constraint|excluded/.test(l))
          .join('\n'),
      );
      // Back to any node: the next apply places everything again.
      const again = await shell.run('(node_class back to null)', 'tofu apply -auto-approve -no-color', 600_000);
      expect(again.output).toMatch(/Apply complete!/);
    });

    it('destroy: no job or namespace is left', async () => {
      const output = await walk('destroy', 300_000);
      expect(output).toMatch(/Destroy complete! Resources: \d+ destroyed\./);
      for (const env of ['dev', 'prod']) expect((await nomad.get(`/v1/namespace/${env}`)).status).toBe(404);
      expect(await nomad.must<unknown[]>('/v1/jobs?namespace=*')).toEqual([]);
    });

    it('a node_class no client has, as a newcomer met it: apply fails after deployment_timeout with Nomad’s reason', async () => {
      // Not a README block: what the README describes under "When apply
      // cannot finish" (the example once pinned every job to class "wasm").
      const { output } = await shell.run(
        '(node_class nobody has)',
        'TF_VAR_node_class=wasm TF_VAR_deployment_timeout=20s tofu apply -auto-approve -no-color || echo "apply exited $?"; ' +
          'tofu destroy -auto-approve -no-color',
        600_000,
      );
      const flat = output.replace(/\s+/g, ' ');
      expect(output).toContain('apply exited 1');
      expect(output).toContain('Error: The service did not become healthy');
      expect(flat).toMatch(
        /job "dev-hello" version 0 not healthy within 20s \(deployment \w+ is running: Deployment is running; 0 of 1 allocations placed, 0 healthy\) Nomad cannot place allocations of the job: task group "\w+": 1 allocation\(s\) cannot be placed \(evaluation \w+\): \* Constraint "\$\{node\.class\} = wasm": 1 nodes excluded by filter \(no ready client has that node_class/,
      );
      // The detached raw_exec jobs are a warning with the same reason. OpenTofu
      // prints the first of the two (dev or prod, whichever came first) and
      // folds the other into "and one more similar warning".
      expect(flat).toMatch(
        /Warning: Nomad cannot place the job's allocations yet .*job "(dev|prod)-sidecar" in namespace "(dev|prod)" is registered, .* \* Constraint "\$\{node\.class\} = wasm": 1 nodes excluded by filter/,
      );
      console.log(
        output
          .split('\n')
          .filter((l) => /Error:|Warning:|not healthy|running:|cannot|Constraint|excluded/.test(l))
          .join('\n'),
      );
      expect(output).toMatch(/Destroy complete!/);
      expect(await nomad.must<unknown[]>('/v1/jobs?namespace=*')).toEqual([]);
    });

    it('copy-paste: the README’s configuration, saved as ../platform/main.tf, applies and destroys as pasted', async () => {
      const config = step('../platform/main.tf');
      mkdirSync(join(clone.root, '../platform'), { recursive: true });
      writeFileSync(join(clone.root, config.name), `${config.body}\n`);
      const output = await walk('copy-paste', 600_000);
      expect(output).toContain('OpenTofu has been successfully initialized!');
      expect(output).toContain('Apply complete! Resources: 4 added, 0 changed, 0 destroyed.');
      expect(output).toContain('Destroy complete! Resources: 4 destroyed.');
      // With the releases given, the client module takes them (well-formed pins; nothing is downloaded at plan).
      const pin = (version: string, file: string): Record<string, string> => ({
        version,
        url: `https://downloads.example.com/${file}`,
        sha256: createHash('sha256').update(file).digest('hex'),
      });
      const releases = JSON.stringify({
        nomad: pin('1.6.3', 'nomad_1.6.3_linux_amd64.zip'),
        nodejs: pin('24.9.0', 'node-v24.9.0-linux-x64.tar.xz'),
        driver: pin('0.1.0', 'nomad-driver-wasm-0.1.0-linux-x64.tar.gz'),
      }).replaceAll('"', '\\"');
      const plan = await shell.run(
        '(copy-paste with releases)',
        `tofu plan -no-color -var "repository=oci://$REGISTRY/apps/hello" -var "dev_digest=\${DIGEST_REF#*@}" -var "prod_digest=\${DIGEST_REF#*@}" -var "public_key=$(cat ~/wasm-keys/signing.pub)" -var "releases=${releases}"`,
        300_000,
      );
      expect(plan.output).toMatch(/Plan: 4 to add, 0 to change, 0 to destroy\./);
    });

    it('stop: the registry stops', async () => {
      const pid = Number(readFileSync(join(clone.home, 'wasm-registry/pid'), 'utf8'));
      await walk('stop', 30_000);
      await nomad.until('the registry process gone', async () => {
        try {
          process.kill(pid, 0);
          return undefined;
        } catch {
          return true;
        }
      });
    });
  },
);
