// Entry point of the plugin executable that Nomad launches from plugin_dir.
import { createLogger } from './log/logger.js';
import { describeError } from './errors.js';
import { NOT_A_PLUGIN_MESSAGE, isLaunchedByNomad } from './plugin/handshake.js';
import { servePlugin } from './plugin/server.js';

if (!isLaunchedByNomad(process.env)) {
  process.stderr.write(`${NOT_A_PLUGIN_MESSAGE}\n`);
  process.exit(1);
}

const log = createLogger();
servePlugin(log).catch((err: unknown) => {
  log.error({ err: describeError(err) }, 'plugin failed to start');
  process.exitCode = 1;
});
