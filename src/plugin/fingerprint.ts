// What the driver tells Nomad about itself every fingerprint period.
// The first message must go out at once (the client waits for it before
// registering the node); values must not churn, each change is a node update.
// The attributes say what this node can run, for job constraints
// (`${attr.driver.wasm.wasi}` contains "0.3", …).
import type { FingerprintResponse } from '../generated/hashicorp/nomad/plugins/drivers/proto/FingerprintResponse.js';
import { DRIVER_NAME, PLUGIN_VERSION } from './plugin-info.js';

export const FINGERPRINT_PERIOD_MS = 30_000;

/** The oldest Node.js the plugin runs on: the OpenTelemetry SDK's 3.x line needs 22.15. */
const MIN_NODE: readonly [number, number] = [22, 15];
/** WASI 0.3 needs JSPI in the task hosts, which Node.js 24 has behind a flag they are started with. */
const JSPI_NODE_MAJOR = 24;

export function fingerprint(version: string = process.versions.node): FingerprintResponse {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
    return {
      health: 'UNHEALTHY',
      health_description: `Node.js ${version} is too old; the wasm driver needs Node.js ${MIN_NODE.join('.')} or newer (unset NOMAD_DRIVER_WASM_NODE to use the one installed beside the plugin)`,
      attributes: {},
    };
  }
  const p3 = major >= JSPI_NODE_MAJOR;
  const worlds = [
    'wasi:cli/command',
    'wasi:http/proxy',
    ...(p3 ? ['wasi:cli/command@0.3', 'wasi:http/service@0.3'] : []),
  ];
  return {
    health: 'HEALTHY',
    health_description: 'Healthy',
    attributes: {
      [`driver.${DRIVER_NAME}.version`]: { string_val: PLUGIN_VERSION },
      [`driver.${DRIVER_NAME}.node_version`]: { string_val: version },
      [`driver.${DRIVER_NAME}.wasi`]: { string_val: p3 ? '0.2,0.3' : '0.2' },
      [`driver.${DRIVER_NAME}.worlds`]: { string_val: worlds.join(',') },
      // Core modules importing only wasi_snapshot_preview1 run as commands (runtime/preview1-adapter.ts).
      [`driver.${DRIVER_NAME}.preview1`]: { string_val: 'command' },
      // Spin apps' HTTP trigger (src/spin/).
      [`driver.${DRIVER_NAME}.spin`]: { string_val: 'http' },
    },
  };
}
