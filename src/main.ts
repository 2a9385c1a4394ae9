// Entry point of the plugin executable that Nomad launches from plugin_dir.
// First: no inspector on SIGUSR1 from here on (hardening/ignore-inspector-signal.ts).
import './hardening/ignore-inspector-signal.js';
import { createLogger } from './log/logger.js';
import { describeError } from './errors.js';
import { NOT_A_PLUGIN_MESSAGE, isLaunchedByNomad } from './plugin/handshake.js';
import { servePlugin } from './plugin/server.js';
import { coreDumpLimit } from './hardening/process-limits.js';

if (!isLaunchedByNomad(process.env)) {
  process.stderr.write(`${NOT_A_PLUGIN_MESSAGE}\n`);
  process.exit(1);
}

const log = createLogger();
// plugins/wasm sets the limit to 0; a plugin started some other way is told, since it holds task tokens.
const core = coreDumpLimit();
if (core && core.soft !== 0)
  log.warn(
    { soft: core.soft, hard: core.hard },
    'core dumps are enabled for the plugin, which reads task tokens: start it through plugins/wasm (ulimit -c 0)',
  );
servePlugin(log).catch((err: unknown) => {
  log.error({ err: describeError(err) }, 'plugin failed to start');
  process.exitCode = 1;
});
