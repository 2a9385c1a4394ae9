// The job's optional `spin { manifest = "local/spin.toml" }`: the app's
// spin.toml, read from the task dir before anything runs, and the task's
// grants checked against what its component asks for (src/spin/manifest-check.ts).
import { readFile } from 'node:fs/promises';
import type { WasmTaskConfig } from '../config/task-config.js';
import { DriverError, isDriverError } from '../errors.js';
import { checkSpinGrants } from '../spin/manifest-check.js';
import { readSpinManifest } from '../spin/manifest.js';
import { resolveComponentPath } from '../source/component-path.js';

/** Task events: what was checked, and what the manifest asks that no grant can give. */
export async function checkSpinManifest(config: WasmTaskConfig, taskDir: string): Promise<string[]> {
  const ref = config.spin;
  if (!ref) return [];
  let text: string;
  try {
    text = await readFile(await resolveComponentPath(taskDir, ref.manifest), 'utf8');
  } catch (err) {
    const why = isDriverError(err) ? err.message.replace(/^component /, '') : (err as Error).message;
    throw new DriverError('SPIN_MANIFEST_INVALID', `spin.manifest "${ref.manifest}": ${why}`, { cause: err });
  }
  const needs = readSpinManifest(text, ref.manifest, ref.component);
  const notes = checkSpinGrants(
    needs,
    {
      keyValueStores: config.keyValueStores ?? [],
      allowHttp: config.allowHttp,
      configValueKeys: Object.keys(config.configGrants?.configValues ?? {}),
      configKeys: config.configGrants?.configKeys ?? [],
      servesHttp: config.port !== undefined,
    },
    ref.manifest,
  );
  const routes = needs.httpRoutes.length > 0 ? `, route ${needs.httpRoutes.join(', ')}` : '';
  return [
    `Spin manifest ${ref.manifest}: component "${needs.id}"${routes}; its key-value stores, variables and outbound hosts are granted`,
    ...notes.map((note) => `Spin manifest: ${note}`),
  ];
}
