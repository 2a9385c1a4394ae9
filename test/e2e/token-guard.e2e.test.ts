// No grant hands a component a token: a matrix of every route a job can
// write to one of the task's tokens, through `nomad job run` on a real
// Nomad 1.6.3 agent with its Vault integration (a real Vault 1.13.0; task
// tokens derived by Nomad) and Nomad workload identities (`identity { env
// file }`). Refused routes fail the task at start with GRANT_EXPOSES_TOKEN,
// naming the field, as `nomad alloc status` shows it; granted routes run
// components that try to read a token (env-probe prints its whole
// environment, fs-probe reads files of its mount, config-command prints all
// of wasi:config/store), and none of their output holds one. The token
// values checked are read from the files Nomad wrote into the task dir.
//
// Consul: Nomad 1.6 fills CONSUL_HTTP_TOKEN and secrets/si_token only for
// Consul Connect tasks (1.7+: CONSUL_TOKEN, secrets/consul_token), which this
// suite does not run; those routes are refused by name, so the job here
// writes the variables and files itself (a `template`), standing in for Nomad.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enableKv, nomadAgentVaultBlock, taskPolicy, writeKv, writePolicy } from '../vault/support/vault-setup.ts';
import { VaultServer } from '../vault/support/vault-server.ts';
import { isDead, taskState } from './support/alloc-state.ts';
import type { Allocation } from './support/nomad-api.ts';
import { allocStatusEvents } from './support/nomad-cli.ts';
import { useE2e } from './support/suite.ts';

let vault: VaultServer;

beforeAll(async () => {
  vault = await VaultServer.start();
  await enableKv(vault);
  await writeKv(vault, 'app', { api_key: 'not-a-token-value' });
  await writePolicy(vault, 'app', taskPolicy(['kv/data/app']));
}, 300_000);

const context = useE2e(async () => {
  return {
    extraConfig: await nomadAgentVaultBlock(vault),
    wasmPluginConfig: `
    vault {
      address = "${vault.address}"
    }`,
  };
});

afterAll(async () => {
  await vault?.destroy();
});

type Token = 'Vault' | 'Nomad' | 'Consul';

interface Route {
  readonly id: string;
  readonly token: Token;
  /** The grant, as the matrix in the report names it. */
  readonly grant: string;
  readonly component: 'env-probe' | 'fs-probe' | 'config-command';
  readonly args?: readonly string[];
  readonly vaultEnv?: boolean;
  readonly identity?: boolean;
  /** HCL inside the task (templates, env). */
  readonly task?: string;
  /** HCL inside the task's config block. */
  readonly config: string;
}

/** The template expression that renders the task's own Vault token. */
const VAULT_TOKEN_TEMPLATE = '{{ with secret "auth/token/lookup-self" }}{{ .Data.id }}{{ end }}';
const FAKE_CONSUL_TOKEN = '6c1b7f0e-9a55-4f0e-b5a2-0d7e3a9f1c44';

function template(destination: string, data: string, env = false): string {
  return `template {
        destination = "${destination}"
        env         = ${env}
        data        = <<EOT
${data}
EOT
      }`;
}

const mount = (source: string, destination = '/m') =>
  `mount {\n          source      = "${source}"\n          destination = "${destination}"\n        }`;

function routeJob(route: Route, baseUrl: string): string {
  return `
job "${route.id}" {
  type = "batch"
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "t" {
      driver = "wasm"
      artifact {
        source      = "${baseUrl}/${route.component}.wasm"
        destination = "local/${route.component}.wasm"
        mode        = "file"
      }
      ${route.vaultEnv === undefined ? '' : `vault {\n        policies = ["app"]\n        env      = ${route.vaultEnv}\n      }`}
      ${route.identity ? 'identity {\n        env  = true\n        file = true\n      }' : ''}
      ${route.task ?? ''}
      config {
        component = "local/${route.component}.wasm"
        ${route.args ? `args = ${JSON.stringify(route.args)}` : ''}
        ${route.config}
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}`;
}

/** Every grant a job can write that reaches a token: each must be refused at start. */
const REFUSED: readonly (Route & { readonly field: string })[] = [
  {
    id: 'pe-vault',
    token: 'Vault',
    grant: 'pass_env = ["VAULT_TOKEN"]',
    component: 'env-probe',
    vaultEnv: true,
    config: 'pass_env = ["VAULT_TOKEN"]',
    field: 'config field "pass_env" names VAULT_TOKEN',
  },
  {
    id: 'pe-nomad',
    token: 'Nomad',
    grant: 'pass_env = ["NOMAD_TOKEN"]',
    component: 'env-probe',
    identity: true,
    config: 'pass_env = ["NOMAD_TOKEN"]',
    field: 'config field "pass_env" names NOMAD_TOKEN',
  },
  {
    id: 'pe-consul-http',
    token: 'Consul',
    grant: 'pass_env = ["CONSUL_HTTP_TOKEN"]',
    component: 'env-probe',
    task: `env {\n        CONSUL_HTTP_TOKEN = "${FAKE_CONSUL_TOKEN}"\n      }`,
    config: 'pass_env = ["CONSUL_HTTP_TOKEN"]',
    field: 'config field "pass_env" names CONSUL_HTTP_TOKEN',
  },
  {
    id: 'pe-consul',
    token: 'Consul',
    grant: 'pass_env = ["CONSUL_TOKEN"]',
    component: 'env-probe',
    task: `env {\n        CONSUL_TOKEN = "${FAKE_CONSUL_TOKEN}"\n      }`,
    config: 'pass_env = ["CONSUL_TOKEN"]',
    field: 'config field "pass_env" names CONSUL_TOKEN',
  },
  {
    id: 'pe-copy',
    token: 'Vault',
    grant: 'pass_env of a template { env = true } variable holding the token',
    component: 'env-probe',
    vaultEnv: false,
    task: template('secrets/token.env', `MY_TOKEN=${VAULT_TOKEN_TEMPLATE}`, true),
    config: 'pass_env = ["MY_TOKEN"]',
    field: 'config field "pass_env (MY_TOKEN)" holds a token Nomad gave the task (secrets/vault_token)',
  },
  {
    id: 'env-vault',
    token: 'Vault',
    grant: 'env = { T = "${VAULT_TOKEN}" }',
    component: 'env-probe',
    vaultEnv: true,
    config: 'env = { T = "${VAULT_TOKEN}" }',
    field: 'config field "env.T" holds a token Nomad gave the task',
  },
  {
    id: 'env-nomad',
    token: 'Nomad',
    grant: 'env = { T = "${NOMAD_TOKEN}" }',
    component: 'env-probe',
    identity: true,
    config: 'env = { T = "${NOMAD_TOKEN}" }',
    field: 'config field "env.T" holds a token Nomad gave the task (NOMAD_TOKEN (task env))',
  },
  {
    id: 'args-nomad',
    token: 'Nomad',
    grant: 'args = ["${NOMAD_TOKEN}"]',
    component: 'env-probe',
    identity: true,
    config: 'args = ["${NOMAD_TOKEN}"]',
    field: 'config field "args[0]" holds a token Nomad gave the task',
  },
  {
    id: 'values-vault',
    token: 'Vault',
    grant: 'config_values = { t = "${VAULT_TOKEN}" }',
    component: 'config-command',
    vaultEnv: true,
    config: 'config_values = { t = "${VAULT_TOKEN}" }',
    field: 'config field "config_values.t" holds a token Nomad gave the task',
  },
  {
    id: 'mount-secrets-vault',
    token: 'Vault',
    grant: 'mount of secrets/ (vault_token)',
    component: 'fs-probe',
    args: ['read', 'vault_token'],
    vaultEnv: false,
    config: mount('secrets'),
    field: 'config field "mount[0]" (source "secrets", at /m) shows secrets/vault_token, a token file Nomad writes',
  },
  {
    id: 'mount-secrets-nomad',
    token: 'Nomad',
    grant: 'mount of secrets/ (nomad_token)',
    component: 'fs-probe',
    args: ['read', 'nomad_token'],
    identity: true,
    config: mount('secrets'),
    field: 'shows secrets/nomad_token, a token file Nomad writes',
  },
  {
    id: 'mount-secrets-consul',
    token: 'Consul',
    grant: 'mount of secrets/ (si_token)',
    component: 'fs-probe',
    args: ['read', 'si_token'],
    task: template('secrets/si_token', FAKE_CONSUL_TOKEN),
    config: mount('secrets'),
    field: 'shows secrets/si_token, a token file Nomad writes',
  },
  {
    id: 'mount-local-copy',
    token: 'Vault',
    grant: 'mount of local/ with a template-rendered copy of the token',
    component: 'fs-probe',
    args: ['read', 'token.txt'],
    vaultEnv: false,
    task: template('local/token.txt', VAULT_TOKEN_TEMPLATE),
    config: mount('local'),
    field: 'holds token.txt, which contains a token Nomad gave the task (secrets/vault_token)',
  },
  {
    id: 'mount-alloc-copy',
    token: 'Vault',
    grant: 'mount of alloc/data with a template-rendered copy of the token',
    component: 'fs-probe',
    args: ['read', 'token.txt'],
    vaultEnv: false,
    task: template('../alloc/data/token.txt', VAULT_TOKEN_TEMPLATE),
    config: mount('alloc/data'),
    field: 'holds token.txt, which contains a token Nomad gave the task (secrets/vault_token)',
  },
  {
    id: 'mount-local-identity',
    token: 'Nomad',
    grant: 'mount of local/ with a copy of the workload identity',
    component: 'fs-probe',
    args: ['read', 'id'],
    identity: true,
    task: template('local/id', '{{ env "NOMAD_TOKEN" }}'),
    config: mount('local'),
    field: 'holds id, which contains',
  },
  {
    id: 'secret-lookup',
    token: 'Vault',
    grant: 'secret "me" { path = "auth/token/lookup-self" } + config_keys',
    component: 'config-command',
    vaultEnv: false,
    config:
      'secret "me" {\n          path  = "auth/token/lookup-self"\n          field = "id"\n        }\n        config_keys = ["me"]',
    field: 'config field secret["me"].path: Vault answers "auth/token/lookup-self" with the task\'s own Vault token',
  },
  {
    id: 'secret-env-lookup',
    token: 'Vault',
    grant: 'secret_env = { T = "me.id" } of auth/token/lookup-self',
    component: 'env-probe',
    vaultEnv: false,
    config: 'secret "me" {\n          path = "auth/token/lookup-self"\n        }\n        secret_env = { T = "me.id" }',
    field: 'config field secret["me"].path',
  },
];

/** Grants that reach near a token but not to it: the component runs and tries, and sees none. */
const GRANTED: readonly (Route & { readonly expect: RegExp })[] = [
  {
    id: 'ok-env',
    token: 'Vault',
    grant: 'pass_env = ["NOMAD_ALLOC_ID"] with VAULT_TOKEN and NOMAD_TOKEN in the task env',
    component: 'env-probe',
    vaultEnv: true,
    identity: true,
    config: 'pass_env = ["NOMAD_ALLOC_ID"]\n        env = { GREETING = "hi" }',
    expect: /^(GREETING=hi\nNOMAD_ALLOC_ID=[0-9a-f-]{36}|NOMAD_ALLOC_ID=[0-9a-f-]{36}\nGREETING=hi)\n/,
  },
  {
    id: 'ok-subdir',
    token: 'Vault',
    grant: "mount of secrets/app (a template's output, no token)",
    component: 'fs-probe',
    args: ['read', 'db.conf'],
    vaultEnv: false,
    identity: true,
    task: template('secrets/app/db.conf', 'user=app'),
    config: mount('secrets/app'),
    expect: /^read db\.conf: ok user=app\n/,
  },
  {
    id: 'ok-subdir-escape',
    token: 'Vault',
    grant: 'mount of secrets/app, reading ../vault_token',
    component: 'fs-probe',
    args: ['read', '../vault_token'],
    vaultEnv: false,
    task: template('secrets/app/db.conf', 'user=app'),
    config: mount('secrets/app'),
    expect: /^read \.\.\/vault_token: denied, errno \d+\n$/,
  },
  {
    id: 'ok-config',
    token: 'Vault',
    grant: 'secret blocks + config_keys (KV), vault { env = true }',
    component: 'config-command',
    vaultEnv: true,
    config:
      'secret "api" {\n          path  = "kv/data/app"\n          field = "api_key"\n        }\n        config_keys = ["api"]',
    expect: /^--- 0\napi=not-a-token-value\n$/,
  },
];

function taskDir(alloc: Allocation): string {
  return join(context().agent.dir, 'data', 'alloc', alloc.ID, 't');
}

/** The token values Nomad wrote for the task (what a leak would contain). */
function tokensOf(alloc: Allocation): string[] {
  const tokens: string[] = [FAKE_CONSUL_TOKEN];
  for (const file of ['vault_token', 'nomad_token']) {
    try {
      tokens.push(readFileSync(join(taskDir(alloc), 'secrets', file), 'utf8').trim());
    } catch {
      // Not every route gives the task every token.
    }
  }
  return tokens.filter((token) => token.length > 0);
}

async function runToEnd(route: Route): Promise<Allocation> {
  const { api } = context().agent;
  const jobId = await api.runJobHcl(routeJob(route, context().components.baseUrl));
  return api.waitForAllocation(jobId, isDead(), `${route.id} to end`, 120_000);
}

const matrix: string[] = [];

describe('no grant hands a component a token (Nomad 1.6.3, Vault 1.13.0)', () => {
  it.each(REFUSED)('refused: $token token via $grant', async (route) => {
    const alloc = await runToEnd(route);
    const state = taskState(alloc);
    expect(state?.Failed).toBe(true);
    expect(state?.Restarts).toBe(0);
    const failure = (await allocStatusEvents(context().agent, alloc.ID)).find((e) => e.type === 'Driver Failure');
    expect(failure?.description).toMatch(/^rpc error: code = FailedPrecondition desc = \[GRANT_EXPOSES_TOKEN\] /);
    expect(failure?.description).toContain(route.field);
    // The component never ran (Nomad has no logs of a task that never started)...
    await expect(context().agent.api.logs(alloc.ID, 't', 'stdout')).rejects.toThrow(/404 task "t" not started yet/);
    // ...and nothing the task shows holds the token.
    const shown = state?.Events.map((e) => e.DisplayMessage).join('\n') ?? '';
    const tokens = tokensOf(alloc);
    expect(tokens.length).toBeGreaterThan(route.token === 'Consul' ? 0 : 1);
    for (const token of tokens) expect(shown).not.toContain(token);
    matrix.push(`| ${route.token} | ${route.grant} | refused: ${failure?.description.slice(44, 140)}… |`);
  });

  it.each(GRANTED)('granted, and still no token: $grant', async (route) => {
    const alloc = await runToEnd(route);
    expect(taskState(alloc)?.Failed).toBe(false);
    const stdout = await context().agent.api.logs(alloc.ID, 't', 'stdout');
    expect(stdout).toMatch(route.expect);
    const tokens = tokensOf(alloc);
    expect(tokens.length).toBeGreaterThan(1);
    for (const token of tokens) expect(stdout).not.toContain(token);
    expect(stdout).not.toMatch(/VAULT_TOKEN|NOMAD_TOKEN/);
    matrix.push(
      `| ${route.token} | ${route.grant} | granted; the component saw: ${JSON.stringify(stdout.split('\n')[0])} |`,
    );
  });

  afterAll(() => {
    console.log(['| token | grant | outcome |', '|---|---|---|', ...matrix].join('\n'));
  });
});
