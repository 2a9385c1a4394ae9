// Plugin logs: hclog-compatible JSON lines on stderr, which go-plugin inside
// the Nomad agent parses and re-logs under `client.driver_mgr.wasm`.
//
// go-plugin's rules (see the protocol notes): `@level`, `@message` and
// `@timestamp` must be strings, and `@timestamp` needs exactly six fractional
// digits or the line is demoted to raw DEBUG text.
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/** 2026-08-21T10:00:00.123000Z: Go's time layout with microseconds. */
export function hclogTimestamp(date: Date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Writes to fd 2 and survives the agent going away: after an agent restart
 * the stderr pipe has no reader and every write fails with EPIPE, which must
 * not become an uncaught exception (the plugin has to stay up for reattach).
 */
function stderrDestination(): DestinationStream {
  process.stderr.on('error', () => {
    /* EPIPE after the agent died: nobody is listening, drop the line */
  });
  return {
    write(line: string): void {
      if (process.stderr.writable) process.stderr.write(line);
    },
  };
}

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env['NOMAD_DRIVER_WASM_LOG_LEVEL'] ?? 'debug',
      messageKey: '@message',
      base: { '@module': 'wasm' },
      timestamp: () => `,"@timestamp":"${hclogTimestamp()}"`,
      formatters: {
        // hclog knows no "fatal"; error is the closest level it shows.
        level: (label) => ({ '@level': label === 'fatal' ? 'error' : label }),
      },
    },
    options.destination ?? stderrDestination(),
  );
}

/** A named tracer, like grpc-js's: `logger.child` with a sub-module name. */
export function tracer(parent: Logger, module: string): Logger {
  return parent.child({ '@module': `wasm.${module}` });
}
