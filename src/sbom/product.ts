// Who wrote an SBOM: this project's CLI, at the version in package.json.
import { readFileSync } from 'node:fs';

export const PRODUCT_NAME = 'nomad-wasm';
export const PRODUCT_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
