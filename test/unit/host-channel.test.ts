// The plugin's end of a task's control channel must survive whatever the
// task host's end does: a reset connection (a task host that exits) must
// neither throw nor end the plugin, and the channel reconnects while the
// task lives.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { HostChannel } from '../../src/task/host-channel.ts';
import type { HostMessage } from '../../src/ipc/control-protocol.ts';

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function listen(onConnection: (socket: Socket) => void): Promise<{ path: string; server: Server }> {
  const dir = await mkdtemp(join(tmpdir(), 'channel-'));
  const path = join(dir, 'control.sock');
  const server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  cleanup.push(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });
  return { path, server };
}

/** First connection: send an event, leave what arrives unread, close (reset). Second: send an event. */
const RESETTING_PEER = `
import os, socket, sys, time
path = sys.argv[1]
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1)
first, _ = server.accept()
first.sendall(b'{"type":"event","message":"before the reset"}\\n')
time.sleep(0.5)
first.close()
second, _ = server.accept()
second.sendall(b'{"type":"event","message":"after reconnecting"}\\n')
time.sleep(5)
`;

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(check()).toBe(true);
}

describe('HostChannel', () => {
  it('a connection reset by the task host is a reported problem, not a crash, and the channel reconnects', async () => {
    // A unix socket closed with unread data in its queue resets its peer. A
    // Python peer that never reads does that for real (Node would read it).
    const dir = await mkdtemp(join(tmpdir(), 'channel-'));
    const path = join(dir, 'control.sock');
    const peer = spawn('python3', ['-c', RESETTING_PEER, path], { stdio: ['ignore', 'ignore', 'inherit'] });
    cleanup.push(async () => {
      peer.kill();
      await rm(dir, { recursive: true, force: true });
    });
    const messages: HostMessage[] = [];
    const problems: string[] = [];
    const channel = HostChannel.open({
      path,
      isAlive: async () => true,
      onMessage: (m) => messages.push(m),
      onProblem: (p) => problems.push(p),
    });
    cleanup.push(async () => channel.close());
    await until(() => messages.length === 1);
    // Nothing the plugin sends today; a capability's message stands in for one.
    channel.send({ type: 'anything' } as never);
    await until(() => messages.length === 2);
    expect(messages.map((m) => (m.type === 'event' ? m.message : m.type))).toEqual([
      'before the reset',
      'after reconnecting',
    ]);
    expect(problems).toContain('connection: ECONNRESET');
  });

  it('ignores lines that are not messages, and stops once the task is gone', async () => {
    let alive = true;
    const { path } = await listen((socket) => {
      socket.write('not json\n{"no":"type"}\n{"type":"event","message":"ok"}\n');
      setTimeout(() => socket.destroy(), 20);
    });
    const messages: HostMessage[] = [];
    const problems: string[] = [];
    const channel = HostChannel.open({
      path,
      isAlive: async () => alive,
      onMessage: (m) => messages.push(m),
      onProblem: (p) => problems.push(p),
    });
    await until(() => messages.length >= 1);
    alive = false;
    await until(() => !channel.connected);
    expect(messages[0]).toEqual({ type: 'event', message: 'ok' });
    expect(problems.filter((p) => p === 'unparsable line from task host')).toHaveLength(2);
    channel.close();
  });
});
