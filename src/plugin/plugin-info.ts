// Identity the plugin reports to Nomad.
import { readFileSync } from 'node:fs';

/** Jobs say `driver = "wasm"`; node attributes are `driver.wasm.*`. */
export const DRIVER_NAME = 'wasm';
/** The one driver API version Nomad speaks (go-version matching; "v0.1.0" works too). */
export const DRIVER_API_VERSION = '0.1.0';

export const PLUGIN_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
