// Outbound HTTP from a real component (js-http-probe: componentize-js,
// calling wasi:http/outgoing-handler) in a real task host process: hosts off
// the allow-list get HTTP-request-denied in the guest, allowed ones answer.
//
// The allowed server runs in another process: the guest's outbound call
// blocks its thread, so a server in the test's own thread could not answer.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runToExit } from './support/task-host.ts';

let dir: string;
let server: ChildProcess;
let port: number;

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'outbound-')));
  server = spawn(
    process.execPath,
    [
      '-e',
      "const s=require('http').createServer((q,r)=>r.end('allowed body for '+q.url));s.listen(0,'127.0.0.1',()=>console.log(s.address().port))",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: server.stdout as NodeJS.ReadableStream });
  port = Number(await new Promise<string>((resolve) => lines.once('line', resolve)));
});
afterAll(async () => {
  server.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

function probe(urls: string[], allow: string[]) {
  return runToExit({
    component: 'js-http-probe',
    dir,
    grants: { env: { PROBE_URLS: urls.join(' ') }, outboundHttp: allow },
  });
}

describe('outbound HTTP through wasi:http/outgoing-handler', () => {
  it('denies a host that is not on the allow-list: the guest sees HTTP-request-denied and carries on', () => {
    const allowed = `http://127.0.0.1:${port}/after`;
    const result = probe(['http://evil.example.com/steal', allowed], [`127.0.0.1:${port}`]);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      `http://evil.example.com/steal -> error HTTP-request-denied\n${allowed} -> status 200 body allowed body for /after\n`,
    );
    expect(result.stderr).toBe(
      "[nomad-driver-wasm] outbound HTTP to evil.example.com denied: not in the task's allow_http list\n",
    );
  });

  it('denies everything without allow_http, even loopback', () => {
    const url = `http://127.0.0.1:${port}/x`;
    const result = probe([url], []);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`${url} -> error HTTP-request-denied\n`);
  });

  it('denies another port of an allowed host', () => {
    const url = `http://127.0.0.1:${port + 1}/x`;
    const result = probe([url], [`127.0.0.1:${port}`]);
    expect(result.stdout).toBe(`${url} -> error HTTP-request-denied\n`);
  });

  it('an allowed loopback server answers with its body', () => {
    const url = `http://127.0.0.1:${port}/hello?q=1`;
    const result = probe([url], [`127.0.0.1:${port}`]);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`${url} -> status 200 body allowed body for /hello?q=1\n`);
    expect(result.stderr).toBe('');
  });
});
