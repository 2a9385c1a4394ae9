// go-plugin's handshake: the magic cookie check, the socket we listen on,
// and the one line we print on stdout once we are listening.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MAGIC_COOKIE_KEY = 'NOMAD_PLUGIN_MAGIC_COOKIE';
export const MAGIC_COOKIE_VALUE = 'e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255';

/** go-plugin's core protocol and Nomad's plugin protocol ("0.9+ grpc based"). */
const CORE_PROTOCOL_VERSION = 1;
const APP_PROTOCOL_VERSION = 2;

/** What go-plugin servers print when someone runs them by hand. */
export const NOT_A_PLUGIN_MESSAGE = [
  'This binary is a plugin. These are not meant to be executed directly.',
  'Please execute the program that consumes these plugins, which will',
  'load any plugins automatically',
  '',
  "nomad-driver-wasm: put this file in the Nomad client's plugin_dir and add",
  '  plugin "wasm" {}',
  'to the client configuration (see README.md).',
].join('\n');

export class HandshakeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HandshakeError';
  }
}

export function isLaunchedByNomad(env: NodeJS.ProcessEnv): boolean {
  return env[MAGIC_COOKIE_KEY] === MAGIC_COOKIE_VALUE;
}

/** Checks the host accepts our protocol; throws a HandshakeError it does not. */
export function checkHandshakeEnv(env: NodeJS.ProcessEnv): void {
  const offered = (env['PLUGIN_PROTOCOL_VERSIONS'] ?? String(APP_PROTOCOL_VERSION)).split(',').map((v) => v.trim());
  if (!offered.includes(String(APP_PROTOCOL_VERSION))) {
    throw new HandshakeError(
      `host offers plugin protocol versions [${offered.join(', ')}], this plugin speaks ${APP_PROTOCOL_VERSION}`,
    );
  }
  if (env['PLUGIN_CLIENT_CERT']) {
    // Nomad never enables AutoMTLS; a host that does needs a TLS-capable plugin.
    throw new HandshakeError('the host requested AutoMTLS (PLUGIN_CLIENT_CERT), which this plugin does not implement');
  }
}

/** Unique per process: Nomad starts several instances per agent start. */
export function socketPath(env: NodeJS.ProcessEnv): string {
  const dir = env['PLUGIN_UNIX_SOCKET_DIR'] || tmpdir();
  return join(dir, `plugin-wasm-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
}

export function handshakeLine(path: string): string {
  return `${CORE_PROTOCOL_VERSION}|${APP_PROTOCOL_VERSION}|unix|${path}|grpc\n`;
}
