// wasi:cli: arguments, environment, exit and stdio of one component instance.
//
// Only what the task's grants list is visible; the host's cwd is not
// disclosed; `exit` ends the instance (the runner catches GuestExit), never
// the host process.
import { EmptyInputStream, SinkOutputStream, type InputStream, type OutputStream } from './io.js';

/** Thrown through the guest when it calls wasi:cli/exit; caught by the runner. */
export class GuestExit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`guest exited with code ${code}`);
    this.name = 'GuestExit';
    this.code = code;
  }
}

export interface CliOptions {
  readonly args: readonly string[];
  /**
   * The environment, or a function giving it when the guest asks (WASI libcs
   * ask once per instance): values that rotate reach the next instance.
   */
  readonly env: Readonly<Record<string, string>> | (() => Readonly<Record<string, string>>);
  readonly stdout: (bytes: Uint8Array) => void;
  readonly stderr: (bytes: Uint8Array) => void;
}

class TerminalInput {}
class TerminalOutput {}

export function cliInterfaces(options: CliOptions): Record<string, object> {
  const env = options.env;
  const fixed = typeof env === 'function' ? undefined : Object.entries(env);
  const environment = (): [string, string][] => fixed ?? (typeof env === 'function' ? Object.entries(env()) : []);
  const args = [...options.args];
  // One stream object each, like a real process's fds 0/1/2.
  const stdin: InputStream = new EmptyInputStream();
  const stdout: OutputStream = new SinkOutputStream(options.stdout);
  const stderr: OutputStream = new SinkOutputStream(options.stderr);
  return {
    'wasi:cli/environment': {
      getEnvironment: (): [string, string][] => environment(),
      getArguments: (): string[] => args,
      initialCwd: (): undefined => undefined,
    },
    'wasi:cli/exit': {
      exit(status: { tag: 'ok' | 'err' }): never {
        throw new GuestExit(status.tag === 'err' ? 1 : 0);
      },
      exitWithCode(code: number): never {
        throw new GuestExit(code);
      },
    },
    'wasi:cli/stdin': { getStdin: (): InputStream => stdin },
    'wasi:cli/stdout': { getStdout: (): OutputStream => stdout },
    'wasi:cli/stderr': { getStderr: (): OutputStream => stderr },
    'wasi:cli/terminal-input': { TerminalInput },
    'wasi:cli/terminal-output': { TerminalOutput },
    // Not a terminal: a Nomad task's stdio is a log FIFO.
    'wasi:cli/terminal-stdin': { getTerminalStdin: (): undefined => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: (): undefined => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: (): undefined => undefined },
  };
}
