// A private PostgreSQL cluster (Debian's packages, scripts/ensure-postgres.sh)
// in a temp dir on a free loopback port, run as the `postgres` user
// (PostgreSQL refuses root). Vault's database engine creates and drops its
// roles here; tests look at pg_roles to see whether a credential still exists.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/ports.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;

function binDir(): string {
  const lines = execFileSync('bash', [join(ROOT, 'scripts/ensure-postgres.sh')], { encoding: 'utf8' })
    .trim()
    .split('\n');
  const dir = lines[lines.length - 1];
  if (!dir) throw new Error('scripts/ensure-postgres.sh printed no bin dir');
  return dir;
}

function postgresIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export class Postgres {
  /** Superuser Vault connects as (password auth over TCP). */
  static readonly ADMIN = 'vaultadmin';
  readonly password = `pw-${process.hrtime.bigint()}`;
  readonly dir: string;
  readonly port: number;
  private readonly bin: string;

  // No parameter properties: the benchmark runs this file with Node's type stripping.
  private constructor(dir: string, port: number, bin: string) {
    this.dir = dir;
    this.port = port;
    this.bin = bin;
  }

  static async start(): Promise<Postgres> {
    const bin = binDir();
    const dir = mkdtempSync(join(tmpdir(), 'pg-'));
    const { uid, gid } = postgresIds();
    chownSync(dir, uid, gid);
    const pg = new Postgres(dir, await freePort(), bin);
    const pwfile = join(dir, 'pwfile');
    writeFileSync(pwfile, `${pg.password}\n`);
    chownSync(pwfile, uid, gid);
    pg.asPostgres('initdb', [
      '-D',
      pg.data,
      '-U',
      Postgres.ADMIN,
      `--pwfile=${pwfile}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '-E',
      'UTF8',
    ]);
    rmSync(pwfile);
    pg.asPostgres('pg_ctl', [
      '-D',
      pg.data,
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-c listen_addresses=127.0.0.1 -c port=${pg.port} -c unix_socket_directories=${dir} -c fsync=off`,
      'start',
    ]);
    return pg;
  }

  get data(): string {
    return join(this.dir, 'data');
  }

  /** For Vault's database engine config (its template fields are filled by Vault). */
  get connectionUrl(): string {
    return `postgresql://{{username}}:{{password}}@127.0.0.1:${this.port}/postgres?sslmode=disable`;
  }

  /** Runs SQL as the superuser over the private socket; rows as text lines. */
  query(sql: string): string[] {
    const out = execFileSync(
      'psql',
      ['-h', this.dir, '-p', String(this.port), '-U', Postgres.ADMIN, '-d', 'postgres', '-tAc', sql],
      { encoding: 'utf8' },
    );
    return out.split('\n').filter((line) => line !== '');
  }

  roleExists(name: string): boolean {
    return this.query(`SELECT 1 FROM pg_roles WHERE rolname = '${name.replace(/'/g, "''")}'`).length > 0;
  }

  /** Whether these credentials can log in over TCP (proves a credential is real and alive). */
  canLogin(username: string, password: string): boolean {
    const result = spawnSync(
      'psql',
      ['-h', '127.0.0.1', '-p', String(this.port), '-U', username, '-d', 'postgres', '-tAc', 'SELECT 1'],
      {
        env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '5' },
        encoding: 'utf8',
      },
    );
    return result.status === 0 && result.stdout.trim() === '1';
  }

  stop(): void {
    try {
      this.asPostgres('pg_ctl', ['-D', this.data, '-m', 'immediate', 'stop']);
    } catch {
      /* already stopped */
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private asPostgres(tool: string, args: string[]): void {
    execFileSync('runuser', ['-u', 'postgres', '--', join(this.bin, tool), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: this.dir,
    });
  }
}
