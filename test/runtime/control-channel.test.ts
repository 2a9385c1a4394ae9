// The control channel between the plugin and a running task host: a real
// task host serving hello-http, reached the way the plugin reaches it
// (/proc/<pid>/cwd/control.sock), events buffered while nobody listens,
// reconnection after the plugin's end goes away, and the socket's mode.
import type { ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useTaskHostDir } from './support/task-host.ts';
import { controlSocketPath, type HostMessage } from '../../src/ipc/control-protocol.ts';

const { HostChannel } = (await import(
  new URL('../../dist/task/host-channel.js', import.meta.url).href
)) as typeof import('../../src/task/host-channel.ts');

const hosts = useTaskHostDir('control-');

async function startServingHello(): Promise<ChildProcess> {
  return (await hosts.serve({ component: 'hello-http' })).host;
}

function collect(host: ChildProcess, onConnect?: () => void) {
  const messages: HostMessage[] = [];
  const channel = HostChannel.open({
    path: controlSocketPath(host.pid ?? 0),
    isAlive: async () => host.exitCode === null && host.signalCode === null,
    onMessage: (message) => messages.push(message),
    ...(onConnect ? { onConnect } : {}),
  });
  return { messages, channel };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('task host control channel', () => {
  it('delivers task events from a running task host, through its working directory', async () => {
    const host = await startServingHello();
    const { messages, channel } = collect(host);
    await until(() => channel.connected, 'connection');
    host.kill('SIGHUP');
    await until(() => messages.length > 0, 'an event');
    expect(messages[0]).toEqual({ type: 'event', message: 'Component instance replaced (SIGHUP)' });
    // Owner-only: the socket is the task host's, reachable by root (the plugin) alone.
    expect(statSync(controlSocketPath(host.pid ?? 0)).mode & 0o777).toBe(0o600);
    channel.close();
  });

  it('keeps events while no plugin is connected and hands them to the next one', async () => {
    const host = await startServingHello();
    // Standard signals do not queue: one at a time, each reload done while nobody listens.
    host.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 500));
    host.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 500));
    const { messages, channel } = collect(host);
    await until(() => messages.length === 2, 'two buffered events');
    expect(messages.map((m) => (m.type === 'event' ? m.message : m.type))).toEqual([
      'Component instance replaced (SIGHUP)',
      'Component instance replaced (SIGHUP)',
    ]);
    channel.close();
  });

  it('a new plugin connection after the old one went away gets later events (plugin restart)', async () => {
    const host = await startServingHello();
    const first = collect(host);
    await until(() => first.channel.connected, 'first connection');
    first.channel.close();
    let connects = 0;
    const second = collect(host, () => connects++);
    await until(() => second.channel.connected, 'second connection');
    host.kill('SIGHUP');
    await until(() => second.messages.length === 1, 'event on the second connection');
    expect(first.messages).toEqual([]);
    expect(connects).toBe(1);
    second.channel.close();
  });

  it('stops trying once the task host has exited', async () => {
    const host = await startServingHello();
    const { channel } = collect(host);
    await until(() => channel.connected, 'connection');
    host.kill('SIGTERM');
    await until(() => host.exitCode !== null || host.signalCode !== null, 'exit');
    await until(() => !channel.connected, 'disconnect');
  });
});
