// The token guard (src/tokens/): no grant a job can write hands the
// component a token Nomad gave the task. Task dirs here are laid out as
// Nomad lays them out (alloc/<task>/{local,secrets,private}, alloc/alloc/data),
// with token files of Nomad's names and values of real tokens' shapes; the
// end-to-end matrix with a real Nomad and Vault is test/e2e/token-guard.e2e.test.ts.
import { encode } from '@msgpack/msgpack';
import { link, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { decodeTaskConfig } from '../../src/config/task-config.ts';
import { defaultPluginConfig } from '../../src/config/plugin-config.ts';
import { grantsFor, type TaskContext } from '../../src/task/decide-grants.ts';
import { holdsWorkloadIdentity, readsCallerToken } from '../../src/tokens/nomad-tokens.ts';
import { refuseTokenInAnswer } from '../../src/tokens/vault-answer.ts';
import { DriverError } from '../../src/errors.ts';
import { driverRejection } from '../support/rejection.ts';

const VAULT_TOKEN = 'hvs.CAESIJm1nY2Xk3tQd0kTbVQfWZcGm3iJvPpGhPq8vY9x1zJrGh4KHGh2cy5aT3RwdlJ6d1N4b0';
const CONSUL_TOKEN = '6c1b7f0e-9a55-4f0e-b5a2-0d7e3a9f1c44';
/** A JWT with Nomad's workload identity claims (unsigned: only its shape matters here). */
const NOMAD_JWT = [
  Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'k1', typ: 'JWT' })).toString('base64url'),
  Buffer.from(
    JSON.stringify({ nomad_namespace: 'default', nomad_job_id: 'app', nomad_allocation_id: 'a1', nomad_task: 't' }),
  ).toString('base64url'),
  'c2lnbmF0dXJlLWJ5dGVz',
].join('.');

let allocDir: string;
let taskDir: string;

beforeEach(async () => {
  allocDir = await mkdtemp(join(tmpdir(), 'token-guard-'));
  taskDir = join(allocDir, 't');
  for (const dir of ['local', 'secrets', 'private', '../alloc/data'])
    await mkdir(join(taskDir, dir), { recursive: true });
});

function config(values: Record<string, unknown>) {
  return decodeTaskConfig(encode({ component: 'local/app.wasm', ...values }));
}

function context(env: Record<string, string> = {}): TaskContext {
  return { taskDir, allocDir, env, memoryMb: 64, memoryMaxMb: 0 };
}

async function refusal(values: Record<string, unknown>, env: Record<string, string> = {}): Promise<DriverError> {
  const err = await driverRejection(grantsFor(config(values), context(env), defaultPluginConfig.ceilings));
  expect(err.code).toBe('GRANT_EXPOSES_TOKEN');
  for (const token of [VAULT_TOKEN, CONSUL_TOKEN, NOMAD_JWT]) expect(err.message).not.toContain(token);
  return err;
}

const mount = (source: string, destination = '/m') => ({
  mount: [{ source, destination, readonly: null }],
});

describe('pass_env', () => {
  it.each(['VAULT_TOKEN', 'NOMAD_TOKEN', 'NOMAD_TOKEN_aws', 'CONSUL_HTTP_TOKEN', 'CONSUL_TOKEN'])(
    'refuses %s by name, whether or not the task env has it',
    async (name) => {
      const present = await refusal({ pass_env: [name] }, { [name]: VAULT_TOKEN });
      expect(present.message).toContain(`config field "pass_env" names ${name}, a variable Nomad fills`);
      const absent = await refusal({ pass_env: [name] });
      expect(absent.message).toContain(`names ${name}`);
    },
  );

  it('refuses a variable of another name that holds a token (a template { env = true } copy)', async () => {
    const err = await refusal({ pass_env: ['DB_TOKEN'] }, { VAULT_TOKEN, DB_TOKEN: VAULT_TOKEN });
    expect(err.message).toBe(
      'config field "pass_env (DB_TOKEN)" holds a token Nomad gave the task (VAULT_TOKEN (task env)); a component is never given a token (Nomad interpolates ${...} in the task config)',
    );
  });

  it('passes an ordinary variable', async () => {
    const grants = await grantsFor(
      config({ pass_env: ['NOMAD_ALLOC_ID'] }),
      context({ VAULT_TOKEN, NOMAD_ALLOC_ID: 'a1' }),
      defaultPluginConfig.ceilings,
    );
    expect(grants.env).toEqual({ NOMAD_ALLOC_ID: 'a1' });
  });
});

describe('values Nomad interpolated into the task config', () => {
  it('refuses env, args and config_values holding the Vault token read from secrets/vault_token (vault { env = false })', async () => {
    await writeFile(join(taskDir, 'secrets', 'vault_token'), VAULT_TOKEN);
    expect((await refusal({ env: [{ T: `Bearer ${VAULT_TOKEN}` }] })).message).toContain(
      'config field "env.T" holds a token Nomad gave the task (secrets/vault_token)',
    );
    expect((await refusal({ args: ['--token', VAULT_TOKEN] })).message).toContain('config field "args[1]"');
    expect((await refusal({ config_values: [{ t: VAULT_TOKEN }] })).message).toContain(
      'config field "config_values.t"',
    );
  });

  it('refuses a component path that would put the token into argv[0]', async () => {
    const err = await refusal({ component: `local/${CONSUL_TOKEN}.wasm` }, { CONSUL_HTTP_TOKEN: CONSUL_TOKEN });
    expect(err.message).toContain('config field "component" holds a token Nomad gave the task (CONSUL_HTTP_TOKEN');
  });

  it('refuses a Nomad workload identity even when the task env does not carry it (identity { env = false })', async () => {
    const err = await refusal({ env: [{ ID: NOMAD_JWT }] });
    expect(err.message).toContain('(a Nomad workload identity)');
  });
});

describe('secret blocks', () => {
  it.each(['auth/token/lookup-self', '/v1/auth/token/lookup-self', 'auth//token/lookup-self/'])(
    'refuses %s, which Vault answers with the task token',
    async (path) => {
      const err = await refusal({
        secret: { me: { path, field: 'id', version: null } },
        config_keys: ['me'],
      });
      expect(err.message).toMatch(
        /^config field secret\["me"\]\.path: Vault answers ".*" with the task's own Vault token/,
      );
    },
  );

  it('knows the paths by their normal form', () => {
    expect(readsCallerToken('auth/token/lookup-self?x=1')).toBe(true);
    expect(readsCallerToken('kv/data/auth/token/lookup-self')).toBe(false);
  });

  it('the task host refuses any Vault answer holding the token that asked, naming the field', () => {
    expect(() =>
      refuseTokenInAnswer('kv/data/app', { data: { nested: { t: `x${VAULT_TOKEN}` } } }, VAULT_TOKEN),
    ).toThrow(
      expect.objectContaining({
        code: 'GRANT_EXPOSES_TOKEN',
        message: expect.stringContaining('holds the task\'s own Vault token (field "data.nested.t")') as unknown,
      }) as Error,
    );
    expect(() => refuseTokenInAnswer('kv/data/app', { data: { t: 'other' } }, VAULT_TOKEN)).not.toThrow();
  });
});

describe('mounts, for every root a job may mount', () => {
  it('refuses secrets/ while it holds vault_token, naming the file; a subdirectory without one is the way', async () => {
    await writeFile(join(taskDir, 'secrets', 'vault_token'), VAULT_TOKEN);
    await mkdir(join(taskDir, 'secrets', 'app'));
    await writeFile(join(taskDir, 'secrets', 'app', 'db.conf'), 'user=app\n');
    const err = await refusal(mount('secrets'));
    expect(err.message).toBe(
      'config field "mount[0]" (source "secrets", at /m) shows secrets/vault_token, a token file Nomad writes; a component is never given a token: mount a subdirectory that holds no token instead (e.g. render templates into secrets/app/ and mount source = "secrets/app")',
    );
    const grants = await grantsFor(config(mount('secrets/app')), context(), defaultPluginConfig.ceilings);
    expect(grants.mounts).toHaveLength(1);
  });

  it.each(['nomad_token', 'consul_token', 'si_token', 'nomad_aws.jwt'])('refuses secrets/ holding %s', async (file) => {
    await writeFile(join(taskDir, 'secrets', file), file.endsWith('.jwt') ? NOMAD_JWT : CONSUL_TOKEN);
    expect((await refusal(mount('secrets'))).message).toContain(`shows secrets/${file}, a token file Nomad writes`);
  });

  it('refuses a token file name anywhere below a mounted directory, even one too short to be a token', async () => {
    await mkdir(join(taskDir, 'local', 'deep', 'er'), { recursive: true });
    await writeFile(join(taskDir, 'local', 'deep', 'er', 'vault_token'), 'x');
    expect((await refusal(mount('local'))).message).toContain('holds deep/er/vault_token, named like a token file');
  });

  it('refuses local/ holding a template-rendered copy of the Vault token', async () => {
    await writeFile(join(taskDir, 'secrets', 'vault_token'), VAULT_TOKEN);
    await writeFile(join(taskDir, 'local', 'app.hcl'), `vault {\n  token = "${VAULT_TOKEN}"\n}\n`);
    expect((await refusal(mount('local'))).message).toContain(
      'holds app.hcl, which contains a token Nomad gave the task (secrets/vault_token); a template or a copy put it there',
    );
  });

  it("refuses local/ holding a hard link to this task's token file", async () => {
    await writeFile(join(taskDir, 'secrets', 'vault_token'), VAULT_TOKEN);
    await link(join(taskDir, 'secrets', 'vault_token'), join(taskDir, 'local', 'cfg'));
    expect((await refusal(mount('local'))).message).toContain('holds cfg, which contains a token Nomad gave the task');
  });

  it('refuses local/ holding a workload identity written by identity { filepath = "local/..." } (Nomad 1.7+)', async () => {
    await writeFile(join(taskDir, 'local', 'id'), NOMAD_JWT);
    expect((await refusal(mount('local'))).message).toContain(
      'holds id, which contains a Nomad workload identity token',
    );
  });

  it("refuses alloc/data holding a copy of another task's token", async () => {
    const other = join(allocDir, 'sidecar', 'secrets');
    await mkdir(other, { recursive: true });
    await writeFile(join(other, 'vault_token'), VAULT_TOKEN.replace('hvs.C', 'hvs.D'));
    await writeFile(join(allocDir, 'alloc', 'data', 'shared.txt'), VAULT_TOKEN.replace('hvs.C', 'hvs.D'));
    expect((await refusal(mount('alloc/data'))).message).toContain(
      'contains a token Nomad gave the task (secrets/vault_token of task sidecar)',
    );
  });

  it('does not follow a symlink out of the mount to a token (the component could not either)', async () => {
    await writeFile(join(taskDir, 'secrets', 'vault_token'), VAULT_TOKEN);
    await mkdir(join(taskDir, 'local', 'data'));
    await symlink(join(taskDir, 'secrets'), join(taskDir, 'local', 'data', 'link'));
    const grants = await grantsFor(config(mount('local/data')), context(), defaultPluginConfig.ceilings);
    expect(grants.mounts).toHaveLength(1);
  });

  it('grants a mount that holds no token, with tokens present elsewhere in the task dir', async () => {
    await writeFile(join(taskDir, 'secrets', 'vault_token'), VAULT_TOKEN);
    await writeFile(join(taskDir, 'local', 'hello.txt'), 'hello\n');
    const grants = await grantsFor(config(mount('local')), context({ VAULT_TOKEN }), defaultPluginConfig.ceilings);
    expect(grants.mounts.map((m) => m.guestPath)).toEqual(['/m']);
  });
});

describe('recognising a workload identity', () => {
  it('by its Nomad claims, not by being a JWT', () => {
    expect(holdsWorkloadIdentity(`token: ${NOMAD_JWT}\n`)).toBe(true);
    const other = NOMAD_JWT.split('.');
    other[1] = Buffer.from(JSON.stringify({ sub: 'user', iss: 'idp' })).toString('base64url');
    expect(holdsWorkloadIdentity(other.join('.'))).toBe(false);
  });
});

it('DriverError is what the guard throws (the StartTask status carries its code)', async () => {
  const err = await refusal({ pass_env: ['VAULT_TOKEN'] });
  expect(err).toBeInstanceOf(DriverError);
  expect(err.recoverable).toBe(false);
});
