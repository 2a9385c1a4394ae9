// What the driver tells Nomad about itself every fingerprint period.
// The first message must go out at once (the client waits for it before
// registering the node); values must not churn, each change is a node update.
import type { FingerprintResponse } from '../generated/hashicorp/nomad/plugins/drivers/proto/FingerprintResponse.js';
import { DRIVER_NAME, PLUGIN_VERSION } from './plugin-info.js';

export const FINGERPRINT_PERIOD_MS = 30_000;

export function fingerprint(): FingerprintResponse {
  const [major] = process.versions.node.split('.');
  if (Number(major) < 22) {
    return {
      health: 'UNHEALTHY',
      health_description: `Node.js ${process.versions.node} is too old; the wasm driver needs Node.js 22 or newer`,
      attributes: {},
    };
  }
  return {
    health: 'HEALTHY',
    health_description: 'Healthy',
    attributes: {
      [`driver.${DRIVER_NAME}.version`]: { string_val: PLUGIN_VERSION },
      [`driver.${DRIVER_NAME}.node_version`]: { string_val: process.versions.node },
      [`driver.${DRIVER_NAME}.wasi`]: { string_val: '0.2' },
      [`driver.${DRIVER_NAME}.worlds`]: { string_val: 'wasi:cli/command,wasi:http/proxy' },
    },
  };
}
