// wasi:cli@0.3 for one component instance: the same arguments, environment,
// exit and stdio as the 0.2 host (src/wasi/cli.ts), in 0.3's shapes: stdio
// is a stream the guest hands over (stdout, stderr) or is handed (stdin).
import { GuestExit, type CliOptions } from '../wasi/cli.js';
import { p3Key } from './versions.js';
import { emptyStream, OK, pumpGuestBytes, type GuestStream, type Outcome } from './streams.js';

type StdioError = 'io' | 'illegal-byte-sequence' | 'pipe';

class TerminalInput {}
class TerminalOutput {}

/** stdout/stderr: everything the guest writes goes to the task's log, in order. */
function writer(write: (bytes: Uint8Array) => void) {
  return {
    writeViaStream: async (data: GuestStream<Uint8Array>): Promise<Outcome<StdioError>> => {
      try {
        await pumpGuestBytes(data, write);
        return OK;
      } catch {
        // The log FIFO is gone (Nomad stopped reading): the guest sees a broken pipe.
        return { tag: 'err', val: 'pipe' };
      }
    },
  };
}

export function cliP3Interfaces(options: CliOptions): Record<string, object> {
  const env = options.env;
  const fixed = typeof env === 'function' ? undefined : Object.entries(env);
  const args = [...options.args];
  return {
    [p3Key('wasi:cli/environment')]: {
      getEnvironment: (): [string, string][] => fixed ?? (typeof env === 'function' ? Object.entries(env()) : []),
      getArguments: (): string[] => args,
      getInitialCwd: (): undefined => undefined,
    },
    [p3Key('wasi:cli/exit')]: {
      exit(status: { tag: 'ok' | 'err' }): never {
        throw new GuestExit(status.tag === 'err' ? 1 : 0);
      },
      exitWithCode(code: number): never {
        throw new GuestExit(code);
      },
    },
    // A Nomad task has no stdin: an empty stream, read to its end at once.
    [p3Key('wasi:cli/stdin')]: {
      readViaStream: (): [Iterable<Uint8Array>, Promise<Outcome<StdioError>>] => [emptyStream(), Promise.resolve(OK)],
    },
    [p3Key('wasi:cli/stdout')]: writer(options.stdout),
    [p3Key('wasi:cli/stderr')]: writer(options.stderr),
    [p3Key('wasi:cli/types')]: {},
    [p3Key('wasi:cli/terminal-input')]: { TerminalInput },
    [p3Key('wasi:cli/terminal-output')]: { TerminalOutput },
    // Not a terminal: a Nomad task's stdio is a log FIFO.
    [p3Key('wasi:cli/terminal-stdin')]: { getTerminalStdin: (): undefined => undefined },
    [p3Key('wasi:cli/terminal-stdout')]: { getTerminalStdout: (): undefined => undefined },
    [p3Key('wasi:cli/terminal-stderr')]: { getTerminalStderr: (): undefined => undefined },
  };
}
